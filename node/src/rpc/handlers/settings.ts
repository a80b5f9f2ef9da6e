/** settings.get / settings.set: what the profile saved, and what the running node applies. */
import { readSettings, saveSettings } from '../../app/settings.ts'
import type { Settings } from '../api.ts'
import type { HandlerDeps, NamespaceHandlers } from './deps.ts'

export function settingsHandlers({ ctx, node }: HandlerDeps): NamespaceHandlers<'settings'> {
  async function read(): Promise<Settings> {
    const saved = await readSettings(ctx.session.requireUnlocked().store)
    const applied = node.running()?.network
    return {
      displayName: saved.displayName,
      bootstrap: [...saved.bootstrap],
      relays: [...saved.relays],
      appliedBootstrap: [...(applied?.bootstrap ?? [])],
      appliedRelays: [...(applied?.relays ?? [])],
    }
  }

  return {
    'settings.get': read,

    'settings.set': async (change) => {
      const displayName = await saveSettings(ctx.session.requireUnlocked().store, change)
      // the name is used at once (new cards, outgoing messages); the lists after a restart
      if (displayName !== undefined) node.running()?.setDisplayName(displayName)
      return read()
    },
  }
}
