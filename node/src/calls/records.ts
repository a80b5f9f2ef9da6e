/**
 * What the calls service keeps in the profile database (key layout in storage/layout.ts): one
 * CallLogRecord per ended call, versioned in the stored value (storage/stored-record.ts). Live
 * calls are not stored: a call does not survive its daemon (the peer's timeouts end it there).
 * The conversation's history line is a message record (messaging/records.ts, `call` field).
 */
import { z } from 'zod'
import { CALL_END_REASONS } from '../messaging/records.ts'
import { versionedRecord } from '../storage/stored-record.ts'

const time = z.number()

export const CallLogRecordSchema = z.object({
  callId: z.string(),
  peerUserId: z.string(),
  direction: z.enum(['outgoing', 'incoming']),
  kind: z.enum(['outgoing', 'incoming', 'missed']),
  startedAt: time,
  acceptedAt: time.nullable(),
  connectedAt: time.nullable(),
  endedAt: time,
  endReason: z.enum(CALL_END_REASONS),
  durationMs: z.number().int().min(0),
})
export type CallLogRecord = z.output<typeof CallLogRecordSchema>
export const CALL_LOG_RECORD = versionedRecord('call log entry', CallLogRecordSchema)

/** The profile's call settings (storage/layout.ts FIXED_KEYS.callSettings). */
export const CallSettingsRecordSchema = z.object({ relayOnly: z.boolean() })
export type CallSettingsRecord = z.output<typeof CallSettingsRecordSchema>
export const CALL_SETTINGS_RECORD = versionedRecord('call settings', CallSettingsRecordSchema)
/** Until the user changes it: calls may connect directly (a relay is not needed on a LAN). */
export const DEFAULT_CALL_SETTINGS: CallSettingsRecord = { relayOnly: false }
