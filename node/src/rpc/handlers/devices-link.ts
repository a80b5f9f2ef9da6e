/**
 * devices.linkStart / devices.link / devices.confirm: linking a second device (issue 18,
 * node/src/devices/link-*.ts). One link at a time per daemon, on either side.
 */
import { toHex } from '../../../../core/src/bytes.ts'
import { formatUserId } from '../../../../core/src/identity.ts'
import { NoLinkInProgressError } from '../../devices/errors.ts'
import { NewDeviceLink } from '../../devices/link-new-device.ts'
import { PrimaryLink } from '../../devices/link-primary.ts'
import { AlreadyExistsError } from '../../errors.ts'
import type { HandlerDeps, NamespaceHandlers } from './deps.ts'
import { qrSvg } from './qr.ts'

type LinkMethods = 'devices.linkStart' | 'devices.link' | 'devices.confirm'

export function deviceLinkHandlers({
  ctx,
  node,
}: HandlerDeps): Pick<NamespaceHandlers<'devices'>, LinkMethods> {
  let waiting: NewDeviceLink | null = null
  let primary: PrimaryLink | null = null
  const log = ctx.log.child('node:link')

  return {
    'devices.linkStart': async ({ passphrase }) => {
      if (ctx.session.hasIdentity) throw new AlreadyExistsError('this profile already has an identity')
      await waiting?.stop()
      const link = await NewDeviceLink.start({
        suite: ctx.suite,
        log,
        target: {
          hasIdentity: ctx.session.hasIdentity,
          create: (secrets, init) => ctx.session.create(passphrase, secrets, init),
        },
        onConfirmation: (confirmation) => ctx.notify('device.linkConfirm', { role: 'new', confirmation }),
        onProgress: (p) => ctx.notify('device.syncProgress', { role: 'new', ...p }),
        onLinked: ({ userId, records }) => {
          waiting = null
          log.info('this device is linked', { records })
          ctx.notify('device.linked', { role: 'new', userId: formatUserId(userId), records })
        },
        onFailed: (reason) => {
          log.warn('link failed', { reason })
          ctx.notify('device.linked', { role: 'new', error: reason })
        },
      })
      waiting = link
      return { code: link.code, qrSvg: await qrSvg(link.code) }
    },

    'devices.link': async ({ code }) => {
      const runtime = node.runtime()
      primary?.cancel('a new link replaced this one')
      primary = null
      const link = await PrimaryLink.dial(
        {
          suite: ctx.suite,
          libp2p: runtime.libp2p,
          profile: ctx.session.requireUnlocked(),
          identity: runtime.identity,
          ownList: () => runtime.devices.own.list,
          adopt: (bytes) => runtime.devices.adoptLinked(bytes, runtime.messenger),
          onProgress: (p) => ctx.notify('device.syncProgress', { role: 'primary', ...p }),
          log,
          now: () => Date.now(),
        },
        code,
      )
      primary = link
      ctx.notify('device.linkConfirm', { role: 'primary', confirmation: link.confirmation })
      return { confirmation: link.confirmation }
    },

    'devices.confirm': async ({ confirmation }) => {
      if (primary !== null) {
        const link = primary
        primary = null
        try {
          const done = await link.confirm(confirmation)
          const deviceId = toHex(done.deviceId)
          ctx.notify('device.linked', { role: 'primary', deviceId, records: done.records })
          return { linked: true, deviceId, version: done.listVersion }
        } catch (err) {
          ctx.notify('device.linked', {
            role: 'primary',
            error: err instanceof Error ? err.message : String(err),
          })
          throw err
        }
      }
      if (waiting?.confirmation != null) {
        waiting.confirm(confirmation)
        return { linked: false }
      }
      throw new NoLinkInProgressError('no link waits for a confirmation')
    },
  }
}
