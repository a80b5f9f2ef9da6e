/**
 * What a run measures: every scheduled message (delivered or not, latency, copies shown to the
 * recipient, the path it most likely took), every measured DHT bundle lookup and publish, process
 * CPU and memory over time, and per-relay mailbox load scraped from the relays' own metrics.
 * Times are ms since the start of the schedule.
 */
import type { EventPayload } from '../../node/src/rpc/api.ts'

export type MessagePath = 'direct' | 'relayed' | 'unknown'

export interface MessageRecord {
  id: number
  from: number
  to: number
  /** Scheduled time. */
  at: number
  /** Skipped sends (sender offline at that moment) are not counted in delivery ratios. */
  skipped: string | null
  messageId: string | null
  sentAt: number | null
  deliveredAt: number | null
  latencyMs: number | null
  /** message.received events for this message at its recipient (1 when all is well). */
  receivedEvents: number
  /** Copies in the recipient's history (filled at the end; 1 when all is well). */
  copiesInHistory: number | null
  path: MessagePath | null
  /** Both ends were online and on the same side of any partition when it was sent. */
  pairOnlineAtSend: boolean
  /** First message scheduled between this pair (either way): it pays for session setup (DHT lookup, prekey claim). */
  firstInPair: boolean
}

export interface LookupRecord {
  from: number
  to: number
  ok: boolean
  ms: number
  reason: string | null
}

export interface PublishRecord {
  user: number
  ok: boolean
  peers: number
  reason: string | null
}

export interface Sample {
  t: number
  cpuUserMs: number
  cpuSystemMs: number
  rssMiB: number
  heapMiB: number
  online: number
  connections: number
}

export interface RelayLoad {
  relay: number
  deposits: number
  fetches: number
  registrations: number
  prekeysClaimed: number
  connections: number
  storedEnvelopes: number
}

export interface Marker {
  kind: 'partition' | 'relay-down'
  label: string
  from: number
  to: number | null
}

export class Metrics {
  readonly messages: MessageRecord[] = []
  readonly lookups: LookupRecord[] = []
  readonly publishes: PublishRecord[] = []
  readonly samples: Sample[] = []
  readonly markers: Marker[] = []
  readonly offlineTimeline: Array<{ t: number; offline: number }> = []
  relayLoad: RelayLoad[] = []
  /** Unexpected failures of scheduled actions (a start that threw, a send that threw). */
  readonly errors: Array<{ t: number; what: string; error: string }> = []
  readonly #byMessageId = new Map<string, MessageRecord>()
  /** Receipts seen before the sender learned the id (kept until it does). */
  readonly #early = new Map<string, Array<{ user: number; t: number; path: MessagePath }>>()
  readonly #t0: number

  constructor(t0: number) {
    this.#t0 = t0
  }

  now(): number {
    return performance.now() - this.#t0
  }

  planned(
    record: Omit<
      MessageRecord,
      'messageId' | 'sentAt' | 'deliveredAt' | 'latencyMs' | 'receivedEvents' | 'copiesInHistory' | 'path'
    >,
  ): MessageRecord {
    const full: MessageRecord = {
      ...record,
      messageId: null,
      sentAt: null,
      deliveredAt: null,
      latencyMs: null,
      receivedEvents: 0,
      copiesInHistory: null,
      path: null,
    }
    this.messages.push(full)
    return full
  }

  sent(record: MessageRecord, messageId: string, sentAt: number): void {
    record.messageId = messageId
    record.sentAt = sentAt
    this.#byMessageId.set(messageId, record)
    for (const early of this.#early.get(messageId) ?? []) this.#apply(record, early.user, early.t, early.path)
    this.#early.delete(messageId)
  }

  received(user: number, payload: EventPayload<'message.received'>, path: MessagePath): void {
    const t = this.now()
    const record = this.#byMessageId.get(payload.message.id)
    if (record === undefined) {
      const list = this.#early.get(payload.message.id) ?? []
      list.push({ user, t, path })
      this.#early.set(payload.message.id, list)
      return
    }
    this.#apply(record, user, t, path)
  }

  #apply(record: MessageRecord, user: number, t: number, path: MessagePath): void {
    if (user !== record.to) return
    record.receivedEvents++
    if (record.deliveredAt === null) {
      record.deliveredAt = t
      record.latencyMs = record.sentAt === null ? null : t - record.sentAt
      record.path = path
    }
  }

  outstanding(): number {
    return this.messages.filter((m) => m.skipped === null && m.deliveredAt === null).length
  }
}
