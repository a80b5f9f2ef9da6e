/**
 * What stays of a call once it ended: its entry in the call log (call-log.ts) and its line in the
 * conversation (history-entry.ts), written together; and the ended calls as lists show them.
 * Writes are serialised by the caller (the calls service's queue).
 */
import type { MessageVia } from '../messaging/message-path.ts'
import type { Vault } from '../messaging/vault.ts'
import { CallLog } from './call-log.ts'
import { type CallState, durationOf, historyKind } from './call-machine.ts'
import { historyLine } from './history-entry.ts'
import type { CallInfo, CallPairwise } from './types.ts'

export interface CallHistoryComponents {
  /** The profile database (the call log lives beside the messages). */
  readonly vault: Vault
  readonly pairwise: Pick<CallPairwise, 'appendEntry'>
  readonly userId: string
  readonly now: () => number
}

export class CallHistory {
  readonly #c: CallHistoryComponents
  readonly #log: CallLog

  constructor(components: CallHistoryComponents) {
    this.#c = components
    this.#log = new CallLog(components.vault)
  }

  /** Log an ended call and write its line in the conversation (announced with `via`, if incoming). */
  async record(call: CallState, via: MessageVia | null): Promise<void> {
    await this.#log.append({
      callId: call.callId,
      peerUserId: call.peerUserId,
      direction: call.direction,
      kind: historyKind(call),
      startedAt: call.startedAt,
      acceptedAt: call.acceptedAt,
      connectedAt: call.connectedAt,
      endedAt: call.endedAt ?? this.#c.now(),
      endReason: call.endReason ?? 'hangup',
      durationMs: durationOf(call),
    })
    await this.#c.pairwise.appendEntry(
      call.peerUserId,
      historyLine(call, this.#c.userId),
      call.direction === 'incoming' ? via : null,
    )
  }

  /** The newest `limit` ended calls, newest first. */
  async newest(limit: number): Promise<CallInfo[]> {
    return (await this.#log.newest(limit)).map(
      (r): CallInfo => ({
        callId: r.callId,
        peerUserId: r.peerUserId,
        direction: r.direction,
        state: 'ended',
        endReason: r.endReason,
        remoteRinging: false,
        startedAt: r.startedAt,
        connectedAt: r.connectedAt,
        endedAt: r.endedAt,
        durationMs: r.durationMs,
        missed: r.kind === 'missed',
      }),
    )
  }
}
