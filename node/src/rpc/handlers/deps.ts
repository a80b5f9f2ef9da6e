/**
 * What the RPC handlers get to do their work: the daemon's context (profile session, suite, log,
 * network status) and the node's lifecycle, whose `runtime()` is the running node or the error a
 * client should see (NO_IDENTITY / LOCKED while locked, UNAVAILABLE while it starts). Handlers
 * own nothing: they call the domain and map its results to the API's shapes.
 */

import type { HostContext } from '../../app/host-context.ts'
import type { NodeLifecycle } from '../../app/node-lifecycle.ts'
import type { RoomRegistry } from '../../room/room-registry.ts'
import type { Handlers } from '../server.ts'

export interface HandlerDeps {
  readonly ctx: HostContext
  readonly node: NodeLifecycle
  /** The ephemeral rooms (memory only), ended by the composition when the profile locks. */
  readonly rooms: RoomRegistry
}

/** The handlers of one namespace ('contacts' → the contacts.* methods). */
export type NamespaceHandlers<N extends string> = Pick<Handlers, Extract<keyof Handlers, `${N}.${string}`>>
