/**
 * What typing and presence keep in the profile database: the two settings (storage/layout.ts
 * FIXED_KEYS.conversationSettings). Nothing else of typing or presence is ever stored.
 */
import { z } from 'zod'
import { versionedRecord } from '../storage/stored-record.ts'

export const ConversationSettingsSchema = z.object({
  /** Send typing indicators and announce received ones (default true). */
  typing: z.boolean(),
  /** Share our presence with contacts and see theirs (default true). */
  presence: z.boolean(),
})
export type ConversationSettings = z.output<typeof ConversationSettingsSchema>
export const CONVERSATION_SETTINGS = versionedRecord('conversation settings', ConversationSettingsSchema)
export const DEFAULT_CONVERSATION_SETTINGS: ConversationSettings = { typing: true, presence: true }
