/**
 * Conversation ids, built and read in one place: `dm:<userId>` names the direct chat with a
 * user, `grp:<groupId hex>` a group's chat. The ids appear in the RPC API, in stored messages and
 * (blinded) in record keys, so their spelling is part of the profile format and of the API.
 *
 * desktop/src keeps its own two-line copy: it runs in the browser and may import only the API's
 * types from node/ (biome.jsonc, layering).
 */

const DIRECT_PREFIX = 'dm:'
const GROUP_PREFIX = 'grp:'
/** A group id is 16 bytes, written as 32 lowercase hex digits (core/src/group). */
const GROUP_ID_PATTERN = /^[0-9a-f]{32}$/

export type ConversationRef =
  | { readonly kind: 'direct'; readonly peerUserId: string }
  | { readonly kind: 'group'; readonly groupId: string }

/** The id of the direct conversation with `userId` (its formatted user id). */
export function directConversationId(userId: string): string {
  return `${DIRECT_PREFIX}${userId}`
}

/** The id of the conversation of the group `groupIdHex`. */
export function groupConversationId(groupIdHex: string): string {
  return `${GROUP_PREFIX}${groupIdHex}`
}

/** Whether the id is spelled as a direct conversation's (the user id part is not checked here). */
export function isDirectConversationId(conversationId: string): boolean {
  return conversationId.startsWith(DIRECT_PREFIX)
}

/** Whether the id is spelled as a group conversation's (the group id part is not checked here). */
export function isGroupConversationId(conversationId: string): boolean {
  return conversationId.startsWith(GROUP_PREFIX)
}

/** The other user of a direct conversation, or null when the id is not a direct conversation's. */
export function peerOfDirectConversation(conversationId: string): string | null {
  return isDirectConversationId(conversationId) ? conversationId.slice(DIRECT_PREFIX.length) : null
}

/** The group id (32 hex digits) of a group conversation, or null for any other id. */
export function groupOfConversationId(conversationId: string): string | null {
  if (!isGroupConversationId(conversationId)) return null
  const groupId = conversationId.slice(GROUP_PREFIX.length)
  return GROUP_ID_PATTERN.test(groupId) ? groupId : null
}

/** What a conversation id names, or null when it is neither a direct nor a well-formed group id. */
export function parseConversationId(conversationId: string): ConversationRef | null {
  const peerUserId = peerOfDirectConversation(conversationId)
  if (peerUserId !== null) return { kind: 'direct', peerUserId }
  const groupId = groupOfConversationId(conversationId)
  return groupId === null ? null : { kind: 'group', groupId }
}
