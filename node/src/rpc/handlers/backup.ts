/** backup.*: an encrypted backup of this profile, and its restore as a new device (node/src/backup). */
import { exportBackup, importBackup } from '../../backup/backup.ts'
import type { HandlerDeps, NamespaceHandlers } from './deps.ts'
import { identityView } from './identity.ts'

export function backupHandlers(deps: HandlerDeps): NamespaceHandlers<'backup'> {
  const { ctx, node } = deps
  return {
    'backup.export': async ({ path, passphrase }) => {
      const profile = ctx.session.requireUnlocked()
      const done = await exportBackup(profile, path, passphrase, { now: Date.now() })
      ctx.log.info('backup written', { bytes: done.bytes, records: done.records })
      return { path, ...done }
    },

    'backup.import': async ({ path, passphrase, profilePassphrase }) => {
      const { records } = await importBackup(
        ctx.suite,
        {
          hasIdentity: ctx.session.hasIdentity,
          create: (secrets, init) => ctx.session.create(profilePassphrase ?? passphrase, secrets, init),
        },
        path,
        passphrase,
      )
      ctx.log.info('backup restored as a new device', { records })
      await node.settled()
      return identityView(deps, ctx.session.requireUnlocked())
    },
  }
}
