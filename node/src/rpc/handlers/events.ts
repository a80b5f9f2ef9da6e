/** events.subscribe: route events to the calling connection. */
import { eventNames } from '../api.ts'
import type { NamespaceHandlers } from './deps.ts'

export function eventsHandlers(): NamespaceHandlers<'events'> {
  return {
    'events.subscribe': async ({ events }, rpc) => ({ subscribed: rpc.subscribe(events ?? eventNames) }),
  }
}
