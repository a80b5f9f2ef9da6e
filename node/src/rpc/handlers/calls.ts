/** calls.*: the daemon side of a call (node/src/calls); the media owner is the page or the CLI. */
import { readCallSettings, updateCallSettings } from '../../calls/call-settings.ts'
import { DEFAULT_CALL_LIST_LIMIT } from '../../calls/constants.ts'
import type { HandlerDeps, NamespaceHandlers } from './deps.ts'

export function callsHandlers({ node }: HandlerDeps): NamespaceHandlers<'calls'> {
  const calls = () => node.runtime().calls
  return {
    'calls.start': async ({ contactId }) => ({ callId: await calls().startCall(contactId) }),
    'calls.accept': async ({ callId }) => ({ call: calls().accept(callId) }),
    'calls.decline': async ({ callId }) => ({ call: calls().decline(callId) }),
    'calls.hangup': async ({ callId }) => ({ call: calls().hangup(callId) }),
    'calls.signal': async ({ callId, signal }) => {
      await calls().signal(callId, signal)
      return { sent: true as const }
    },
    'calls.media': async ({ callId, state }) => ({ call: calls().media(callId, state) }),
    'calls.mediaKeys': async ({ callId }) => calls().mediaKeys(callId),
    'calls.iceServers': async () => {
      const runtime = node.runtime()
      const [iceServers, settings] = await Promise.all([
        runtime.turn.iceServers(),
        readCallSettings(runtime.vault.store),
      ])
      return {
        iceServers: iceServers.map((s) => ({ ...s, urls: [...s.urls] })),
        relayOnly: settings.relayOnly,
      }
    },
    'calls.settings': async ({ relayOnly }) => {
      const store = node.runtime().vault.store
      return relayOnly === undefined ? readCallSettings(store) : updateCallSettings(store, { relayOnly })
    },
    'calls.list': async ({ limit }) => ({ calls: await calls().list(limit ?? DEFAULT_CALL_LIST_LIMIT) }),
  }
}
