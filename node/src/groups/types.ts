/**
 * The group layer's own types: what it needs from the rest of the node (a logger, the pairwise
 * side, the topic side, a place to announce events) and the shapes it answers with. They are
 * declared here, in the domain, so groups imports neither the daemon nor the RPC layer; rpc/ maps
 * them onto its API types, which today have the same shape.
 */
import type { ContactCard } from '../../../core/src/contact-card.ts'
import type { AppEffect, AttachmentSummary } from '../messaging/app-payloads.ts'
import type { MessageChange } from '../messaging/apply-action.ts'
import type { AppDelivery, AppHandler } from '../messaging/inbound.ts'
import type { Vault } from '../messaging/vault.ts'

/** Structured log lines (the daemon's logger fits). Fields: ids, counts and error names only. */
export interface GroupLogger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
}

/** The pairwise side (the Messenger in the daemon). */
export interface GroupPairwise {
  /** `fromOwnDevices`: our own other devices may send it too (our own user id as the sender). */
  registerApp(appKind: number, handler: AppHandler, fromOwnDevices?: boolean): void
  sendApp(peers: readonly string[], appKind: number, payload: Uint8Array): Promise<void>
  /** Queue an app payload to each of our own other devices (listed, not revoked); how many. */
  sendToOwnDevices(appKind: number, payload: Uint8Array): Promise<number>
  addContact(card: ContactCard, name: string | undefined): Promise<unknown>
}

/** The topic side (gossipsub in the daemon). Expected network failures are values. */
export interface GroupTransport {
  subscribe(topic: string): void
  unsubscribe(topic: string): void
  publish(topic: string, data: Uint8Array): Promise<{ ok: boolean }>
  /**
   * The devices subscribed to the topic that we are connected to (gossip will likely reach them),
   * as hex of their PeerId multihash bytes: one set per send, looked up once per member.
   */
  subscribers(topic: string): ReadonlySet<string>
  onMessage(handler: (topic: string, data: Uint8Array) => void): void
}

/** A group message that carries a file pointer arrived (see GroupService.registerAttachments). */
export interface GroupAttachmentDelivery {
  readonly senderUserId: string
  readonly groupId: string
  readonly conversationId: string
  readonly messageId: string
  /** The encoded pointer, untrusted: the handler decodes it. */
  readonly pointer: Uint8Array
}

/**
 * The files layer's answer, under the group lock: the summary the message shows, what to write
 * with the message, and what to run after the write. Null: refused (the message keeps no file).
 */
export type GroupAttachmentHandler = (
  delivery: GroupAttachmentDelivery,
) => Promise<(AppEffect & { readonly summary: AttachmentSummary }) | null>

/** The contacts the group layer reads (the messenger's vault). */
export type GroupContacts = Pick<Vault, 'getContact' | 'listContacts'>

/** A message as the messaging layer stores it: group messages share its conversation layout. */
export type StoredMessage = NonNullable<Awaited<ReturnType<Vault['getMessage']>>>

/** The path a message took to this device; a group's topic payloads came by 'gossip'. */
export type MessageVia = AppDelivery['via'] | 'gossip'

export type GroupRoleName = 'owner' | 'admin' | 'member'

/** Our view of one group: what lists and events carry. */
export interface GroupSummary {
  groupId: string
  conversationId: string
  name: string
  /** Our standing; 'declined' only in the answer to our own decline (the group is then forgotten). */
  status: 'invited' | 'member' | 'left' | 'removed' | 'declined'
  /** Our role; null unless we are a member. */
  role: GroupRoleName | null
  epoch: number
  memberCount: number
  invitedBy: string | null
  /** Hex hash of the group state: equal on members that converged. */
  stateHash: string
  updatedAt: number
}

export interface GroupMember {
  userId: string
  /** The contact's name, 'you', or the user id when unknown. */
  displayName: string
  role: GroupRoleName
  joinedAt: number
}

export interface GroupInvitation {
  userId: string
  role: GroupRoleName
  invitedBy: string
  invitedAt: number
}

/** The events the group layer announces, by name. */
export interface GroupEvents {
  'group.invited': { group: GroupSummary }
  'group.updated': { group: GroupSummary }
  'message.received': { message: StoredMessage; via: MessageVia }
  /** A group message edited, deleted, reacted to, pinned or unpinned (by us or a member). */
  'message.updated': {
    conversationId: string
    messageId: string
    change: MessageChange
    message: StoredMessage
  }
  /** A group's disappearing-messages timer changed (by us or an admin); message is its line in the chat. */
  'conversation.timerChanged': { conversationId: string; seconds: number; by: string; message: StoredMessage }
  'message.status': {
    conversationId: string
    messageId: string
    status: StoredMessage['status']
    receipts: number
  }
  /** A member's delivery state of one of our group messages moved forward (delivered or read). */
  'group.receipt': {
    conversationId: string
    messageId: string
    userId: string
    status: 'delivered' | 'read'
  }
}

/** One event: its name and its payload. */
export type GroupEvent = { [E in keyof GroupEvents]: [event: E, payload: GroupEvents[E]] }[keyof GroupEvents]

/** Announce an event (the daemon forwards it to subscribed RPC clients). */
export type GroupNotify = (...event: GroupEvent) => void
