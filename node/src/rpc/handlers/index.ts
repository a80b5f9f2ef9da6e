/**
 * Every RPC method's handler, one file per namespace, registered here and nowhere else: the
 * daemon's composition (node/src/daemon/main.ts) passes this map to the server. The server has
 * checked the params against the API's schemas before a handler runs, and maps what a handler
 * throws to an RPC error (rpc/error-map.ts).
 */
import type { Handlers } from '../server.ts'
import { attachmentsHandlers } from './attachments.ts'
import { backupHandlers } from './backup.ts'
import { callsHandlers } from './calls.ts'
import { contactsHandlers } from './contacts.ts'
import { conversationsHandlers } from './conversations.ts'
import type { HandlerDeps } from './deps.ts'
import { devicesHandlers } from './devices.ts'
import { eventsHandlers } from './events.ts'
import { groupsHandlers } from './groups.ts'
import { identityHandlers } from './identity.ts'
import { messagesHandlers } from './messages.ts'
import { nodeHandlers } from './node.ts'
import { roomsHandlers } from './rooms.ts'
import { settingsHandlers } from './settings.ts'
import { typingHandlers } from './typing.ts'

export type { HandlerDeps } from './deps.ts'

export function createHandlers(deps: HandlerDeps): Handlers {
  return {
    ...nodeHandlers(deps),
    ...identityHandlers(deps),
    ...contactsHandlers(deps),
    ...conversationsHandlers(deps),
    ...messagesHandlers(deps),
    ...groupsHandlers(deps),
    ...callsHandlers(deps),
    ...settingsHandlers(deps),
    ...typingHandlers(deps),
    ...eventsHandlers(),
    ...attachmentsHandlers(deps),
    ...devicesHandlers(deps),
    ...backupHandlers(deps),
    ...roomsHandlers(deps),
  }
}
