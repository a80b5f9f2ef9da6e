/**
 * A call's line in the direct conversation: a message record with a `call` field, written by
 * each side for itself when the call ends. Its text is the summary clients that do not know calls
 * show ("Missed call", "Outgoing call, 1:05").
 */
import type { MessageRecord } from '../messaging/records.ts'
import { type CallState, durationOf, historyKind } from './call-machine.ts'

const MS_PER_SECOND = 1000
const SECONDS_PER_MINUTE = 60

function clock(ms: number): string {
  const seconds = Math.round(ms / MS_PER_SECOND)
  return `${Math.floor(seconds / SECONDS_PER_MINUTE)}:${String(seconds % SECONDS_PER_MINUTE).padStart(2, '0')}`
}

/** The summary text of an ended call. */
export function historyText(call: CallState): string {
  const kind = historyKind(call)
  if (kind === 'missed') return 'Missed call'
  const what = kind === 'outgoing' ? 'Outgoing call' : 'Incoming call'
  if (call.connectedAt !== null) return `${what}, ${clock(durationOf(call))}`
  switch (call.endReason) {
    case 'declined':
      return `${what}, declined`
    case 'busy':
      return `${what}, busy`
    case 'timeout':
      return `${what}, no answer`
    case 'failed-ice':
      return `${what}, could not connect`
    case 'failed-decrypt':
      return `${what}, media did not decrypt`
    case 'answered-elsewhere':
      return `${what}, answered on another device`
    default:
      return `${what}, cancelled`
  }
}

/** The history line of an ended `call`, for Messenger.appendEntry. */
export function historyLine(
  call: CallState,
  ourUserId: string,
): (conversationId: string, seq: number) => MessageRecord {
  const kind = historyKind(call)
  const outgoing = call.direction === 'outgoing'
  const endedAt = call.endedAt ?? call.startedAt
  return (conversationId, seq) => ({
    id: call.callId,
    conversationId,
    seq,
    direction: outgoing ? 'out' : 'in',
    sender: outgoing ? ourUserId : call.peerUserId,
    text: historyText(call),
    sentAt: call.startedAt,
    receivedAt: outgoing ? null : endedAt,
    // a missed call stays unread until the conversation is read; the others were seen live
    status: outgoing ? 'delivered' : kind === 'missed' ? 'delivered' : 'read',
    receipts: 0,
    call: {
      callId: call.callId,
      kind,
      durationMs: durationOf(call),
      endReason: call.endReason ?? 'hangup',
    },
  })
}
