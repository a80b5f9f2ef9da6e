/** settings.get / settings.set: what the profile saved, and what the running node applies. */
import { readSettings, saveSettings } from '../../app/settings.ts'
import { readLockPolicy, saveLockPolicy } from '../../profile/lock-policy.ts'
import type { Settings } from '../api.ts'
import type { HandlerDeps, NamespaceHandlers } from './deps.ts'

export function settingsHandlers({ ctx, node }: HandlerDeps): NamespaceHandlers<'settings'> {
  async function read(): Promise<Settings> {
    const saved = await readSettings(ctx.session.requireUnlocked().store)
    const applied = node.running()?.network
    const policy = await readLockPolicy(ctx.paths)
    return {
      displayName: saved.displayName,
      bootstrap: [...saved.bootstrap],
      relays: [...saved.relays],
      appliedBootstrap: [...(applied?.bootstrap ?? [])],
      appliedRelays: [...(applied?.relays ?? [])],
      autoLockMinutes: policy.autoLockMinutes,
      wipeAfterFailedUnlocks: policy.wipeAfterFailures,
    }
  }

  return {
    'settings.get': read,

    'settings.set': async ({ autoLockMinutes, wipeAfterFailedUnlocks, ...change }) => {
      const displayName = await saveSettings(ctx.session.requireUnlocked().store, change)
      if (autoLockMinutes !== undefined || wipeAfterFailedUnlocks !== undefined) {
        const policy = await saveLockPolicy(ctx.paths, {
          ...(autoLockMinutes !== undefined ? { autoLockMinutes } : {}),
          ...(wipeAfterFailedUnlocks !== undefined ? { wipeAfterFailures: wipeAfterFailedUnlocks } : {}),
        })
        node.autoLock.setMinutes(policy.autoLockMinutes)
        if (wipeAfterFailedUnlocks != null)
          ctx.log.warn('wipe after failed unlocks is on', { failures: wipeAfterFailedUnlocks })
      }
      // the name is used at once (new cards, outgoing messages); the lists after a restart
      if (displayName !== undefined) node.running()?.setDisplayName(displayName)
      return read()
    },
  }
}
