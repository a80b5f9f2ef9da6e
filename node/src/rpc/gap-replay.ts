/**
 * What a reconnecting WrenClient (client.ts) hands over after a gap: the messages that arrived
 * while no connection was open, and the statuses our messages reached meanwhile. Each replay
 * tracks, from the first subscription on, what its handlers were given — so a message or status
 * is handed over once, replayed or live, never both — and replays the difference once the
 * connection is back. Other events of a gap (typing, presence, updates) are not replayed.
 */
import { MAX_PAGE_LIMIT, type Message, type MethodName, type Result } from './api.ts'
import type { ParamsArg, RpcClientCore } from './client-core.ts'

/**
 * Our messages per conversation whose statuses a reconnecting client checks after a gap: the
 * newest this many (statuses move within minutes or days of sending; older messages are settled).
 */
export const STATUS_REPLAY_WINDOW = 100
/** Statuses the client remembers to tell a change from a repeat (the most recent this many). */
const MAX_TRACKED_STATUSES = 4096

/** What a replay uses of the client. */
export interface ReplayContext {
  /** A call as the client's user makes it (refused while the connection is down). */
  call<M extends MethodName>(method: M, ...params: ParamsArg<M>): Promise<Result<M>>
  /** The connection: trackers listen before the handlers; replays call and deliver on it. */
  readonly core: Pick<RpcClientCore, 'call' | 'listen' | 'deliver'>
}

/** Incoming messages: the last seq handed over per conversation, and those missed in a gap. */
export class MessageReplay {
  readonly #ctx: ReplayContext
  /** Per conversation, the highest message seq handed to message.received handlers. */
  readonly #seenSeq = new Map<string, number>()
  /** Per conversation, its last seq when message.received was first subscribed (null: not yet). */
  #baseline: Map<string, number> | null = null
  #duplicate = false

  constructor(ctx: ReplayContext) {
    this.#ctx = ctx
  }

  get tracking(): boolean {
    return this.#baseline !== null
  }

  /** Whether the message.received being dispatched now was handed over before (live after replay). */
  get duplicate(): boolean {
    return this.#duplicate
  }

  /** Remember where each conversation stands, and every message handed over from now on. */
  async track(): Promise<void> {
    const baseline = new Map<string, number>()
    this.#baseline = baseline
    this.#ctx.core.listen('message.received', ({ message }) => {
      const seen = this.#seenSeq.get(message.conversationId) ?? 0
      this.#duplicate = message.seq <= seen
      if (!this.#duplicate) this.#seenSeq.set(message.conversationId, message.seq)
    })
    const { conversations } = await this.#ctx.call('conversations.list')
    for (const c of conversations) baseline.set(c.id, c.lastMessage?.seq ?? 0)
  }

  /** After a reconnect: hand over the incoming messages that arrived while disconnected, in order. */
  async replay(): Promise<void> {
    if (this.#baseline === null) return
    const { core } = this.#ctx
    const { conversations } = await core.call('conversations.list', {})
    for (const c of conversations) {
      const from = Math.max(this.#seenSeq.get(c.id) ?? 0, this.#baseline.get(c.id) ?? 0)
      if ((c.lastMessage?.seq ?? 0) <= from) continue
      const missed: Message[] = []
      let before: number | undefined
      for (;;) {
        const page = await core.call('messages.list', {
          conversationId: c.id,
          limit: MAX_PAGE_LIMIT,
          ...(before !== undefined ? { before } : {}),
        })
        missed.unshift(...page.messages.filter((m) => m.seq > from))
        const oldest = page.messages[0]?.seq
        if (!page.hasMore || oldest === undefined || oldest <= from + 1) break
        before = oldest
      }
      // the tracker skips any of them a live event has handed over meanwhile
      for (const message of missed)
        if (message.direction === 'in') core.deliver('message.received', { message })
    }
  }
}

/** Our messages' statuses: the `status/receipts` last handed over per message, and changes in a gap. */
export class StatusReplay {
  readonly #ctx: ReplayContext
  /** Per message of ours, the `status/receipts` last handed to message.status handlers (null: not tracking). */
  #known: Map<string, string> | null = null
  /** Per conversation, its last seq when message.status was first subscribed. */
  readonly #floor = new Map<string, number>()
  #duplicate = false

  constructor(ctx: ReplayContext) {
    this.#ctx = ctx
  }

  get tracking(): boolean {
    return this.#known !== null
  }

  /** Whether the message.status being dispatched now repeats what was handed over already. */
  get duplicate(): boolean {
    return this.#duplicate
  }

  /** Remember the statuses of our latest messages, and every status handed over from now on. */
  async track(): Promise<void> {
    const known = new Map<string, string>()
    this.#known = known
    this.#ctx.core.listen('message.status', (p) => {
      const key = `${p.status}/${p.receipts}`
      this.#duplicate = known.get(p.messageId) === key
      this.#remember(p.messageId, key)
    })
    const { conversations } = await this.#ctx.call('conversations.list')
    for (const c of conversations) {
      this.#floor.set(c.id, c.lastMessage?.seq ?? 0)
      const page = await this.#ctx.call('messages.list', {
        conversationId: c.id,
        limit: STATUS_REPLAY_WINDOW,
      })
      for (const m of page.messages)
        if (m.direction === 'out' && !known.has(m.id)) this.#remember(m.id, `${m.status}/${m.receipts}`)
    }
  }

  /** After a reconnect: hand over the statuses our messages reached while disconnected. */
  async replay(): Promise<void> {
    const known = this.#known
    if (known === null) return
    const { core } = this.#ctx
    const { conversations } = await core.call('conversations.list', {})
    for (const c of conversations) {
      const floor = this.#floor.get(c.id) ?? 0
      const page = await core.call('messages.list', {
        conversationId: c.id,
        limit: STATUS_REPLAY_WINDOW,
      })
      for (const m of page.messages) {
        if (m.direction !== 'out') continue
        const was = known.get(m.id)
        if (was === `${m.status}/${m.receipts}`) continue
        // one the client never knew: older than its first look, or not gone anywhere yet
        if (was === undefined && (m.seq <= floor || m.status === 'queued')) continue
        core.deliver('message.status', {
          conversationId: c.id,
          messageId: m.id,
          status: m.status,
          receipts: m.receipts,
        })
      }
    }
  }

  #remember(messageId: string, key: string): void {
    const known = this.#known
    if (known === null) return
    known.delete(messageId)
    known.set(messageId, key)
    if (known.size > MAX_TRACKED_STATUSES) known.delete(known.keys().next().value as string)
  }
}
