/**
 * The calls service's own shapes: what it announces and answers with, and what it needs of the
 * rest of the node. Declared in the domain (calls never imports rpc/); rpc/ maps them onto its API
 * types, which today have the same shape.
 */
import type { AppHandler } from '../messaging/app-payloads.ts'
import type { MessageVia } from '../messaging/message-path.ts'
import type { ContactRecord, MessageRecord } from '../messaging/records.ts'
import type { CallDirection, CallPhase, EndReason } from './call-machine.ts'

/** One call as lists and events show it. */
export interface CallInfo {
  readonly callId: string
  readonly peerUserId: string
  readonly direction: CallDirection
  readonly state: CallPhase
  readonly endReason: EndReason | null
  /** The callee's device rings (outgoing calls). */
  readonly remoteRinging: boolean
  readonly startedAt: number
  readonly connectedAt: number | null
  readonly endedAt: number | null
  /** Connected time so far (0 before the media connected). */
  readonly durationMs: number
  /** An incoming call that was neither answered nor declined. */
  readonly missed: boolean
}

/** The media owner's text, opaque to the daemon. */
export type MediaSignalKind = 'offer' | 'answer' | 'ice'
export interface MediaSignal {
  readonly kind: MediaSignalKind
  readonly data: string
}

/** What the media owner reports about its media (calls.media). */
export type MediaReport = 'connected' | 'failed-ice' | 'failed-decrypt'

export interface CallEvents {
  /** A call rings here: calls.accept or calls.decline. */
  'call.incoming': { readonly call: CallInfo }
  /** A call's state changed. */
  'call.state': { readonly call: CallInfo }
  /** The other side's media owner sent SDP or ICE for ours. */
  'call.signal': { readonly callId: string; readonly signal: MediaSignal }
}
export type CallEventName = keyof CallEvents
export type CallNotify = <E extends CallEventName>(event: E, payload: CallEvents[E]) => void

/** Structured log lines; fields are ids, kinds and error names only. */
export interface CallLogger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
}

/** The pairwise side (the Messenger in the daemon). */
export interface CallPairwise {
  registerApp(appKind: number, handler: AppHandler): void
  sendApp(peers: readonly string[], appKind: number, payload: Uint8Array): Promise<void>
  requireContact(userId: string): Promise<ContactRecord>
  appendEntry(
    peer: string,
    make: (conversationId: string, seq: number) => MessageRecord,
    via: MessageVia | null,
  ): Promise<MessageRecord>
}
