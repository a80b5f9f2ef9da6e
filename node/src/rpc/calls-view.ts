/**
 * The RPC edge of calls: the calls service's events (node/src/calls, domain shapes) as the API's
 * events. The shapes are the same today; the table below makes the compiler check each one, so
 * they can change apart.
 */
import type { CallEventName, CallEvents, CallNotify } from '../calls/types.ts'
import type { EventName, EventPayload } from './api.ts'

type RpcNotify = <E extends EventName>(event: E, payload: EventPayload<E>) => void

/** The calls service's notify, forwarding each event to RPC clients in the API's shapes. */
export function callsNotify(notify: RpcNotify): CallNotify {
  const forward: { [E in CallEventName]: (payload: CallEvents[E]) => void } = {
    'call.incoming': ({ call }) => notify('call.incoming', { call: { ...call } }),
    'call.state': ({ call }) => notify('call.state', { call: { ...call } }),
    'call.signal': ({ callId, signal }) => notify('call.signal', { callId, signal: { ...signal } }),
  }
  return (event, payload) => forward[event](payload)
}
