/**
 * Typed client for the Wren daemon (bots, the CLI, tests). Types come from the API declaration:
 *
 *   const client = await WrenClient.connectProfile({ profile: 'alice' })
 *   const { conversations } = await client.call('conversations.list')
 *   await client.on('message', (m) => client.call('messages.send', { conversationId: m.conversationId, text: m.text }))
 *
 * Every wait is bounded: connecting by connectTimeoutMs, each call by callTimeoutMs.
 *
 * With `reconnect` (connectProfile), a connection the daemon drops — a daemon restart — is opened
 * again with backoff (RECONNECT_MIN_MS doubling to RECONNECT_MAX_MS, the bot-client
 * specification's 3 s → 60 s), the daemon found again through the profile's daemon.json and token,
 * and the events this client listened to subscribed again. Calls made meanwhile fail at once
 * (ERR_CLOSED); `onReconnect` handlers run once it is back. Messages that arrived while no
 * connection was open are handed to the message.received handlers then, in each conversation's
 * order (found by sequence number: what the client saw, or what the conversations held when it
 * first subscribed). Likewise the message.status handlers get the statuses our messages reached
 * meanwhile: among each conversation's newest STATUS_REPLAY_WINDOW messages, each of ours whose
 * status or receipt count is not the one the client last knew (from the conversations when it
 * first subscribed, or from an event since). Other events of that gap (typing, presence, updates)
 * are not replayed.
 */
import { resolve } from 'node:path'
import { WebSocket } from 'ws'
import { readDaemonInfo, readRpcToken } from '../profile/daemon-info.ts'
import { DEFAULT_PROFILE, profilePaths, resolveHome } from '../profile/profile.ts'
import {
  type EventName,
  type EventPayload,
  MAX_PAGE_LIMIT,
  type Message,
  type MethodName,
  type Result,
} from './api.ts'
import { type CallFailure, DEFAULT_CALL_TIMEOUT_MS, type ParamsArg, RpcClientCore } from './client-core.ts'
import { RpcConnectionError, RpcError } from './errors.ts'
import { MAX_RPC_MESSAGE_BYTES, RPC_HOST } from './server.ts'

export { DEFAULT_CALL_TIMEOUT_MS }
/** Time to open and authenticate the WebSocket, in ms: the daemon is local. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000

export interface ConnectOptions {
  readonly url: string
  readonly token: string
  readonly connectTimeoutMs?: number
  readonly callTimeoutMs?: number
  /** Called when an event handler throws (default: process warning). */
  readonly onHandlerError?: (error: unknown) => void
}

export interface ConnectProfileOptions extends Omit<ConnectOptions, 'url' | 'token'> {
  readonly home?: string
  readonly profile?: string
  /** Open the connection again when the daemon drops it (a restart), with backoff. */
  readonly reconnect?: boolean
  /** First wait before reconnecting, in ms (default RECONNECT_MIN_MS). */
  readonly reconnectMinMs?: number
}

/** First wait before opening a dropped connection again, in ms. */
export const RECONNECT_MIN_MS = 3_000
/** Longest wait between attempts, in ms (the wait doubles up to it). */
export const RECONNECT_MAX_MS = 60_000
/**
 * Our messages per conversation whose statuses a reconnecting client checks after a gap: the
 * newest this many (statuses move within minutes or days of sending; older messages are settled).
 */
export const STATUS_REPLAY_WINDOW = 100
/** Statuses the client remembers to tell a change from a repeat (the most recent this many). */
const MAX_TRACKED_STATUSES = 4096

/** A call that got no answer, in this client's words. */
function connectionError(failure: CallFailure): RpcConnectionError {
  switch (failure.kind) {
    case 'timeout':
      return new RpcConnectionError(
        'ERR_TIMEOUT',
        `${failure.method} got no answer within ${failure.timeoutMs} ms`,
      )
    case 'closed':
      return new RpcConnectionError('ERR_CLOSED', 'connection to the daemon closed')
    case 'send':
      return new RpcConnectionError('ERR_CLOSED', `send failed: ${failure.reason}`)
  }
}

export class WrenClient {
  #ws: WebSocket
  readonly #core: RpcClientCore
  readonly #subscribed = new Set<EventName>()
  /** How to open the connection again (reconnect), or null. */
  readonly #reopen: (() => Promise<WebSocket>) | null
  readonly #onReconnect = new Set<() => void | Promise<void>>()
  #closed = false
  #closing = false
  #reconnecting = false
  #retryTimer: ReturnType<typeof setTimeout> | null = null
  #reconnectMinMs = RECONNECT_MIN_MS
  /** Per conversation, the highest message seq handed to message.received handlers (reconnect). */
  readonly #seenSeq = new Map<string, number>()
  /** Per conversation, its last seq when message.received was first subscribed (null: not yet). */
  #baseline: Map<string, number> | null = null
  /** Whether the message.received being dispatched now was handed over before (live after replay). */
  #duplicate = false
  /** Per message of ours, the `status/receipts` last handed to message.status handlers (null: not tracking). */
  #statusKnown: Map<string, string> | null = null
  /** Per conversation, its last seq when message.status was first subscribed. */
  readonly #statusFloor = new Map<string, number>()
  /** Whether the message.status being dispatched now repeats what was handed over already. */
  #statusDuplicate = false

  private constructor(
    ws: WebSocket,
    options: ConnectOptions,
    reopen: (() => Promise<WebSocket>) | null = null,
  ) {
    this.#ws = ws
    this.#reopen = reopen
    this.#core = new RpcClientCore({
      send: (text) =>
        new Promise<void>((resolve, reject) =>
          this.#ws.send(text, (error) => (error ? reject(error) : resolve())),
        ),
      callTimeoutMs: options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
      remoteError: (code, message, data) => new RpcError(code, message, data),
      failure: connectionError,
      onHandlerError:
        options.onHandlerError ??
        ((error) => process.emitWarning(`WrenClient event handler threw: ${String(error)}`)),
    })
    this.#attach(ws)
  }

  #attach(ws: WebSocket): void {
    ws.on('message', (data) => this.#core.receive(data.toString()))
    ws.on('close', () => this.#onClose())
    ws.on('error', () => {}) // 'close' follows and rejects what is pending
  }

  static async connect(options: ConnectOptions): Promise<WrenClient> {
    return new WrenClient(await WrenClient.#open(options), options)
  }

  /** Open and authenticate one WebSocket to the daemon (bounded by connectTimeoutMs). */
  static #open(options: ConnectOptions): Promise<WebSocket> {
    const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(options.url, {
        headers: { authorization: `Bearer ${options.token}` },
        maxPayload: MAX_RPC_MESSAGE_BYTES * 16,
        perMessageDeflate: false,
        handshakeTimeout: timeoutMs,
      })
      const fail = (error: Error) => {
        clearTimeout(timer)
        ws.removeAllListeners()
        ws.on('error', () => {})
        ws.terminate()
        reject(error)
      }
      const timer = setTimeout(
        () =>
          fail(new RpcConnectionError('ERR_TIMEOUT', `no answer from ${options.url} within ${timeoutMs} ms`)),
        timeoutMs,
      )
      ws.once('unexpected-response', (_req, res) => {
        const status = res.statusCode ?? 0
        fail(
          status === 401
            ? new RpcConnectionError('ERR_UNAUTHORIZED', 'the daemon refused the RPC token (401)')
            : new RpcConnectionError('ERR_CONNECT', `the daemon answered HTTP ${status}`),
        )
      })
      ws.once('error', (error) =>
        fail(new RpcConnectionError('ERR_CONNECT', `cannot connect: ${error.message}`)),
      )
      ws.once('open', () => {
        clearTimeout(timer)
        ws.removeAllListeners()
        resolve(ws)
      })
    })
  }

  /** Connect to the daemon serving a profile, using its daemon.json and rpc-token. */
  static async connectProfile(options: ConnectProfileOptions = {}): Promise<WrenClient> {
    const paths = profilePaths(resolveHome(options.home), options.profile ?? DEFAULT_PROFILE)
    // the daemon's port and token are read again on every (re)connection: a restart changes them
    const open = async () => {
      const info = await readDaemonInfo(paths)
      const token = await readRpcToken(paths)
      return WrenClient.#open({ ...options, url: `ws://${RPC_HOST}:${info.rpcPort}/`, token })
    }
    const client = new WrenClient(
      await open(),
      { ...options, url: '', token: '' },
      options.reconnect ? open : null,
    )
    client.#reconnectMinMs = options.reconnectMinMs ?? RECONNECT_MIN_MS
    return client
  }

  /**
   * Run `handler` each time a dropped connection is open again (reconnect), before the messages
   * missed meanwhile are handed over (e.g. to unlock a restarted daemon); returns a remover.
   */
  onReconnect(handler: () => void | Promise<void>): () => void {
    this.#onReconnect.add(handler)
    return () => this.#onReconnect.delete(handler)
  }

  /** Call a method; rejects with RpcError (code, message, data) or RpcConnectionError. */
  call<M extends MethodName>(method: M, ...[params]: ParamsArg<M>): Promise<Result<M>> {
    if (this.#closed) return Promise.reject(new RpcConnectionError('ERR_CLOSED', 'client is closed'))
    if (this.#reconnecting)
      return Promise.reject(
        new RpcConnectionError('ERR_CLOSED', 'the daemon connection dropped; reconnecting'),
      )
    return this.#core.call(method, params)
  }

  /**
   * Send a local file to a conversation (attachments.send): `path` is made absolute here, since
   * the daemon does not share this process's working folder. Resolves to the message carrying it.
   */
  async sendFile(conversationId: string, path: string, caption?: string): Promise<Message> {
    const { message } = await this.call('attachments.send', {
      conversationId,
      path: resolve(path),
      ...(caption !== undefined ? { caption } : {}),
    })
    return message
  }

  /**
   * Handle an event (subscribing this connection to it first). 'message' is sugar for
   * 'message.received' that hands over the message itself. Resolves to an unsubscribe function
   * (local: the daemon keeps sending, the handler is just removed).
   */
  on(event: 'message', handler: (message: Message) => void): Promise<() => void>
  on<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void): Promise<() => void>
  async on(event: EventName | 'message', handler: (payload: never) => void): Promise<() => void> {
    const name: EventName = event === 'message' ? 'message.received' : event
    const inner: (payload: EventPayload<EventName>) => void =
      event === 'message'
        ? (payload) =>
            (handler as (m: Message) => void)((payload as EventPayload<'message.received'>).message)
        : (handler as (payload: EventPayload<EventName>) => void)
    // with reconnect, a message is handed over once: replayed after a gap, or live, never both
    const wrapped: (payload: EventPayload<EventName>) => void =
      name === 'message.received' && this.#reopen !== null
        ? (payload) => {
            if (!this.#duplicate) inner(payload)
          }
        : name === 'message.status' && this.#reopen !== null
          ? (payload) => {
              if (!this.#statusDuplicate) inner(payload)
            }
          : inner
    const tracking = name === 'message.received' && this.#reopen !== null && this.#baseline === null
    const trackingStatus = name === 'message.status' && this.#reopen !== null && this.#statusKnown === null
    // the tracker is registered before the handler, so it judges each message first
    const baseline = tracking ? this.#trackMessages() : trackingStatus ? this.#trackStatuses() : null
    const remove = this.#core.listen(name, wrapped)
    await baseline
    if (!this.#subscribed.has(name)) {
      const { subscribed } = await this.call('events.subscribe', { events: [name] })
      for (const s of subscribed) this.#subscribed.add(s)
    }
    return remove
  }

  // ---- typed helpers over `on` and `call` (the bot-client specification's names)

  /** Each received message (replayed once after a reconnect gap, as `on('message')`). */
  onMessage(handler: (message: Message) => void): Promise<() => void> {
    return this.on('message', handler)
  }
  /** Status and receipt changes of our messages (those reached during a reconnect gap handed over after it). */
  onStatus(handler: (payload: EventPayload<'message.status'>) => void): Promise<() => void> {
    return this.on('message.status', handler)
  }
  /** A contact typing (or stopped) in a direct chat; a typing: true lapses at expiresAt. */
  onTyping(handler: (payload: EventPayload<'typing'>) => void): Promise<() => void> {
    return this.on('typing', handler)
  }
  /** A contact came online or went offline. */
  onPresence(handler: (payload: EventPayload<'contact.presence'>) => void): Promise<() => void> {
    return this.on('contact.presence', handler)
  }

  /**
   * A conversation's history, newest page first, each page oldest first (messages.list): the
   * pages go back in time until the first message, `pageSize` at a time, from `before` when given.
   */
  async *history(
    conversationId: string,
    options: { before?: number; pageSize?: number } = {},
  ): AsyncGenerator<Message[]> {
    let before = options.before
    for (;;) {
      const page = await this.call('messages.list', {
        conversationId,
        ...(before !== undefined ? { before } : {}),
        ...(options.pageSize !== undefined ? { limit: options.pageSize } : {}),
      })
      if (page.messages.length > 0) yield page.messages
      const oldest = page.messages[0]
      if (!page.hasMore || oldest === undefined) return
      before = oldest.seq
    }
  }

  #onClose(): void {
    this.#core.failAll()
    if (this.#reopen === null || this.#closing) {
      this.#closed = true
      return
    }
    if (!this.#reconnecting) {
      this.#reconnecting = true
      this.#retry(this.#reconnectMinMs)
    }
  }

  /** Remember where each conversation stands, and every message handed over from now on. */
  async #trackMessages(): Promise<void> {
    const baseline = new Map<string, number>()
    this.#baseline = baseline
    this.#core.listen('message.received', ({ message }) => {
      const seen = this.#seenSeq.get(message.conversationId) ?? 0
      this.#duplicate = message.seq <= seen
      if (!this.#duplicate) this.#seenSeq.set(message.conversationId, message.seq)
    })
    const { conversations } = await this.call('conversations.list')
    for (const c of conversations) baseline.set(c.id, c.lastMessage?.seq ?? 0)
  }

  /** Remember the statuses of our latest messages, and every status handed over from now on. */
  async #trackStatuses(): Promise<void> {
    const known = new Map<string, string>()
    this.#statusKnown = known
    this.#core.listen('message.status', (p) => {
      const key = `${p.status}/${p.receipts}`
      this.#statusDuplicate = known.get(p.messageId) === key
      this.#rememberStatus(p.messageId, key)
    })
    const { conversations } = await this.call('conversations.list')
    for (const c of conversations) {
      this.#statusFloor.set(c.id, c.lastMessage?.seq ?? 0)
      const page = await this.call('messages.list', { conversationId: c.id, limit: STATUS_REPLAY_WINDOW })
      for (const m of page.messages)
        if (m.direction === 'out' && !known.has(m.id)) this.#rememberStatus(m.id, `${m.status}/${m.receipts}`)
    }
  }

  #rememberStatus(messageId: string, key: string): void {
    const known = this.#statusKnown
    if (known === null) return
    known.delete(messageId)
    known.set(messageId, key)
    if (known.size > MAX_TRACKED_STATUSES) known.delete(known.keys().next().value as string)
  }

  /** After a reconnect: hand over the statuses our messages reached while disconnected. */
  async #replayStatuses(): Promise<void> {
    const known = this.#statusKnown
    if (known === null) return
    const { conversations } = await this.#core.call('conversations.list', {})
    for (const c of conversations) {
      const floor = this.#statusFloor.get(c.id) ?? 0
      const page = await this.#core.call('messages.list', {
        conversationId: c.id,
        limit: STATUS_REPLAY_WINDOW,
      })
      for (const m of page.messages) {
        if (m.direction !== 'out') continue
        const was = known.get(m.id)
        if (was === `${m.status}/${m.receipts}`) continue
        // one the client never knew: older than its first look, or not gone anywhere yet
        if (was === undefined && (m.seq <= floor || m.status === 'queued')) continue
        this.#core.deliver('message.status', {
          conversationId: c.id,
          messageId: m.id,
          status: m.status,
          receipts: m.receipts,
        })
      }
    }
  }

  /** After a reconnect: hand over the incoming messages that arrived while disconnected, in order. */
  async #replayMissed(): Promise<void> {
    if (this.#baseline === null) return
    const { conversations } = await this.#core.call('conversations.list', {})
    for (const c of conversations) {
      const from = Math.max(this.#seenSeq.get(c.id) ?? 0, this.#baseline.get(c.id) ?? 0)
      if ((c.lastMessage?.seq ?? 0) <= from) continue
      const missed: Message[] = []
      let before: number | undefined
      for (;;) {
        const page = await this.#core.call('messages.list', {
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
        if (message.direction === 'in') this.#core.deliver('message.received', { message })
    }
  }

  #retry(delayMs: number): void {
    this.#retryTimer = setTimeout(() => void this.#reconnect(delayMs), delayMs)
  }

  async #reconnect(delayMs: number): Promise<void> {
    if (this.#closing || this.#reopen === null) return
    try {
      const ws = await this.#reopen()
      if (this.#closing) {
        ws.terminate()
        return
      }
      this.#ws = ws
      this.#attach(ws)
      this.#reconnecting = false
      if (this.#subscribed.size > 0)
        await this.#core.call('events.subscribe', { events: [...this.#subscribed] }).catch(() => {})
      for (const handler of this.#onReconnect)
        await Promise.resolve()
          .then(handler)
          .catch((error) => process.emitWarning(`WrenClient onReconnect handler threw: ${String(error)}`))
      await this.#replayMissed().catch((error) =>
        process.emitWarning(
          `WrenClient: could not replay messages missed while disconnected: ${String(error)}`,
        ),
      )
      await this.#replayStatuses().catch((error) =>
        process.emitWarning(
          `WrenClient: could not replay statuses missed while disconnected: ${String(error)}`,
        ),
      )
    } catch {
      this.#retry(Math.min(delayMs * 2, RECONNECT_MAX_MS))
    }
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Close the connection; resolves once closed (bounded by the connect timeout). */
  async close(): Promise<void> {
    this.#closing = true
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer)
    if (this.#ws.readyState === WebSocket.CLOSED) {
      this.#onClose()
      return
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#ws.terminate()
        resolve()
      }, DEFAULT_CONNECT_TIMEOUT_MS)
      this.#ws.once('close', () => {
        clearTimeout(timer)
        resolve()
      })
      this.#ws.close()
    })
    this.#onClose()
  }
}
