/**
 * What the user set on a conversation (conversations.update): muted, archived, marked unread.
 * One record per conversation, direct or group alike (storage/layout.ts cp/), apart from the
 * conversation records the messaging and group layers own, so setting a flag never races their
 * writes.
 */
import { z } from 'zod'
import { PREFIXES } from '../storage/layout.ts'
import { versionedRecord } from '../storage/stored-record.ts'
import type { Vault } from './vault.ts'

export const ConversationPrefsSchema = z.object({
  muted: z.boolean(),
  archived: z.boolean(),
  /** Marked unread by the user; cleared when the conversation is read. */
  markedUnread: z.boolean(),
})
export type ConversationPrefs = z.output<typeof ConversationPrefsSchema>
export const CONVERSATION_PREFS = versionedRecord('conversation prefs', ConversationPrefsSchema)
export const DEFAULT_CONVERSATION_PREFS: ConversationPrefs = {
  muted: false,
  archived: false,
  markedUnread: false,
}

function prefsKey(vault: Vault, conversationId: string): string {
  return `${PREFIXES.conversationPrefs}${vault.blind(conversationId)}`
}

export async function getConversationPrefs(vault: Vault, conversationId: string): Promise<ConversationPrefs> {
  return (
    (await vault.store.read(prefsKey(vault, conversationId), CONVERSATION_PREFS)) ??
    DEFAULT_CONVERSATION_PREFS
  )
}

export async function updateConversationPrefs(
  vault: Vault,
  conversationId: string,
  change: Partial<ConversationPrefs>,
): Promise<ConversationPrefs> {
  const next = { ...(await getConversationPrefs(vault, conversationId)), ...change }
  await vault.store.write(prefsKey(vault, conversationId), CONVERSATION_PREFS, next)
  return next
}

export async function deleteConversationPrefs(vault: Vault, conversationId: string): Promise<void> {
  await vault.store.del(prefsKey(vault, conversationId))
}
