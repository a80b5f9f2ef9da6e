/**
 * What a run measures: every scheduled message (delivered or not, latency, copies shown to the
 * recipient, the path it took), every measured DHT bundle lookup and publish, process
 * CPU and memory over time, and per-relay mailbox load scraped from the relays' own metrics.
 * Times are ms since the start of the schedule.
 */
import type { EventPayload } from '../../node/src/rpc/api.ts'

/**
 * How a message reached its recipient: the `via` of its message.received event. Only when an
 * event carries no `via` (an older node) is it inferred: 'mailbox' when the sender saw the
 * message 'stored', else 'direct' / 'relayed' from the recipient's connections to the sender at
 * receive time.
 */
export type MessagePath = 'direct' | 'relayed' | 'mailbox' | 'gossip' | 'unknown'

export interface MessageRecord {
  id: number
  from: number
  to: number
  /** Scheduled time. */
  at: number
  /** Skipped sends (sender offline at that moment) are not counted in delivery ratios. */
  skipped: string | null
  messageId: string | null
  /** When sendText was called (the schedule may run late on a busy event loop). */
  calledAt: number | null
  /** When sendText returned (the message is in the outbox). */
  sentAt: number | null
  deliveredAt: number | null
  /** deliveredAt − calledAt: from the messages.send-equivalent call to message.received. */
  latencyMs: number | null
  /** First 'stored' status at the sender (deposited to the recipient's mailboxes). */
  storedAt: number | null
  /** message.received events for this message at its recipient (1 when all is well). */
  receivedEvents: number
  /** Copies in the recipient's history (filled at the end; 1 when all is well). */
  copiesInHistory: number | null
  path: MessagePath | null
  /** True when the path is the node's own `via`, false when inferred. */
  pathReported: boolean
  /** Both ends were online and on the same side of any partition when it was sent. */
  pairOnlineAtSend: boolean
  /** First message scheduled between this pair (either way): it pays for session setup (DHT lookup, prekey claim). */
  firstInPair: boolean
}

/** One scheduled group message and its deliveries to the other members. */
export interface GroupMessageRecord {
  id: number
  group: number
  from: number
  at: number
  skipped: string | null
  calledAt: number | null
  messageId: string | null
  /** Members other than the sender at send time. */
  recipients: number[]
  /** First message.received per recipient (ms since schedule start). */
  deliveredAt: Record<number, number>
  /** message.received events per recipient (1 when all is well). */
  receivedEvents: Record<number, number>
  /** Copies in each recipient's history (filled at the end). */
  copiesInHistory: Record<number, number>
  /** Path of the first copy per recipient (message.received `via`; 'unknown' if absent). */
  via: Record<number, MessagePath>
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

/** Bytes one node sent and received on the wire (noise and yamux framing included). */
export interface NodeBytes {
  /** User or relay index. */
  node: number
  sent: number
  received: number
}

export interface NodeTraffic {
  users: NodeBytes[]
  relays: NodeBytes[]
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
  /** Mailboxes each user holds at the end of the run (null: offline). */
  mailboxesAtEnd: Array<number | null> = []
  /** Unexpected failures of scheduled actions (a start that threw, a send that threw). */
  readonly errors: Array<{ t: number; what: string; error: string }> = []
  readonly groupMessages: GroupMessageRecord[] = []
  /**
   * Bytes per node, counted by the memory transport: over the whole run (setup included) and
   * from the schedule start to the end of the drain. null on TCP loopback: not measured.
   */
  traffic: { total: NodeTraffic; schedule: NodeTraffic } | null = null
  readonly #byMessageId = new Map<string, MessageRecord>()
  readonly #groupByMessageId = new Map<string, GroupMessageRecord>()
  readonly #earlyGroup = new Map<string, Array<{ user: number; t: number; via: MessagePath }>>()
  readonly #earlyStored = new Map<string, number>()
  /** Receipts seen before the sender learned the id (kept until it does). */
  readonly #early = new Map<
    string,
    Array<{ user: number; t: number; path: MessagePath; reported: boolean }>
  >()
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
      | 'messageId'
      | 'calledAt'
      | 'sentAt'
      | 'deliveredAt'
      | 'latencyMs'
      | 'storedAt'
      | 'receivedEvents'
      | 'copiesInHistory'
      | 'path'
      | 'pathReported'
    >,
  ): MessageRecord {
    const full: MessageRecord = {
      ...record,
      messageId: null,
      calledAt: null,
      sentAt: null,
      storedAt: null,
      deliveredAt: null,
      latencyMs: null,
      receivedEvents: 0,
      copiesInHistory: null,
      path: null,
      pathReported: false,
    }
    this.messages.push(full)
    return full
  }

  sent(record: MessageRecord, messageId: string, sentAt: number): void {
    record.messageId = messageId
    record.sentAt = sentAt
    this.#byMessageId.set(messageId, record)
    for (const early of this.#early.get(messageId) ?? [])
      this.#apply(record, early.user, early.t, early.path, early.reported)
    this.#early.delete(messageId)
    const stored = this.#earlyStored.get(messageId)
    if (stored !== undefined) record.storedAt ??= stored
    this.#earlyStored.delete(messageId)
  }

  /** A message.status event at a sender: 'stored' marks the mailbox path. */
  status(messageId: string, status: string): void {
    if (status !== 'stored') return
    const t = this.now()
    const record = this.#byMessageId.get(messageId)
    if (record === undefined) this.#earlyStored.set(messageId, t)
    else record.storedAt ??= t
  }

  plannedGroup(
    record: Omit<GroupMessageRecord, 'deliveredAt' | 'receivedEvents' | 'copiesInHistory' | 'via'>,
  ) {
    const full: GroupMessageRecord = {
      ...record,
      deliveredAt: {},
      receivedEvents: {},
      copiesInHistory: {},
      via: {},
    }
    this.groupMessages.push(full)
    return full
  }

  groupSent(record: GroupMessageRecord, messageId: string): void {
    record.messageId = messageId
    this.#groupByMessageId.set(messageId, record)
    for (const early of this.#earlyGroup.get(messageId) ?? [])
      this.#applyGroup(record, early.user, early.t, early.via)
    this.#earlyGroup.delete(messageId)
  }

  groupReceived(user: number, messageId: string, via: MessagePath = 'unknown'): void {
    const t = this.now()
    const record = this.#groupByMessageId.get(messageId)
    if (record === undefined) {
      const list = this.#earlyGroup.get(messageId) ?? []
      list.push({ user, t, via })
      this.#earlyGroup.set(messageId, list)
      return
    }
    this.#applyGroup(record, user, t, via)
  }

  #applyGroup(record: GroupMessageRecord, user: number, t: number, via: MessagePath): void {
    if (!record.recipients.includes(user)) return
    record.receivedEvents[user] = (record.receivedEvents[user] ?? 0) + 1
    record.deliveredAt[user] ??= t
    record.via[user] ??= via
  }

  /** Group deliveries (message × recipient) still missing. */
  groupOutstanding(): number {
    let missing = 0
    for (const m of this.groupMessages) {
      if (m.skipped !== null) continue
      for (const u of m.recipients) if (m.deliveredAt[u] === undefined) missing++
    }
    return missing
  }

  /** `reported`: the path is the event's own `via` (false: inferred by the runner). */
  received(
    user: number,
    payload: EventPayload<'message.received'>,
    path: MessagePath,
    reported: boolean,
  ): void {
    const t = this.now()
    const record = this.#byMessageId.get(payload.message.id)
    if (record === undefined) {
      const list = this.#early.get(payload.message.id) ?? []
      list.push({ user, t, path, reported })
      this.#early.set(payload.message.id, list)
      return
    }
    this.#apply(record, user, t, path, reported)
  }

  #apply(record: MessageRecord, user: number, t: number, path: MessagePath, reported: boolean): void {
    if (user !== record.to) return
    record.receivedEvents++
    if (record.deliveredAt === null) {
      record.deliveredAt = t
      record.latencyMs = record.calledAt === null ? null : t - record.calledAt
      record.path = path
      record.pathReported = reported
    }
  }

  /** Fallback for inferred paths only: a message the sender saw 'stored' came through a mailbox fetch. */
  finalizePaths(): void {
    for (const m of this.messages)
      if (m.deliveredAt !== null && !m.pathReported && m.storedAt !== null) m.path = 'mailbox'
  }

  outstanding(): number {
    return this.messages.filter((m) => m.skipped === null && m.deliveredAt === null).length
  }
}
