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
 * are not replayed. The tracking and the replays are gap-replay.ts.
 */
import { resolve } from 'node:path'
import { WebSocket } from 'ws'
import { readDaemonInfo, readRpcToken } from '../profile/daemon-info.ts'
import { DEFAULT_PROFILE, profilePaths, resolveHome } from '../profile/profile.ts'
import type { EventName, EventPayload, Message, MethodName, Result } from './api.ts'
import { type CallFailure, DEFAULT_CALL_TIMEOUT_MS, type ParamsArg, RpcClientCore } from './client-core.ts'
import { RpcConnectionError, RpcError } from './errors.ts'
import { MessageReplay, STATUS_REPLAY_WINDOW, StatusReplay } from './gap-replay.ts'
import { MAX_RPC_MESSAGE_BYTES, RPC_HOST } from './server.ts'

export { DEFAULT_CALL_TIMEOUT_MS, STATUS_REPLAY_WINDOW }
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
  /** With reconnect: the messages and statuses handed over, and those missed in a gap. */
  readonly #messages: MessageReplay
  readonly #statuses: StatusReplay

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
    const replay = { call: this.call.bind(this), core: this.#core }
    this.#messages = new MessageReplay(replay)
    this.#statuses = new StatusReplay(replay)
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
            if (!this.#messages.duplicate) inner(payload)
          }
        : name === 'message.status' && this.#reopen !== null
          ? (payload) => {
              if (!this.#statuses.duplicate) inner(payload)
            }
          : inner
    const tracking = name === 'message.received' && this.#reopen !== null && !this.#messages.tracking
    const trackingStatus = name === 'message.status' && this.#reopen !== null && !this.#statuses.tracking
    // the tracker is registered before the handler, so it judges each message first
    const baseline = tracking ? this.#messages.track() : trackingStatus ? this.#statuses.track() : null
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
      await this.#messages
        .replay()
        .catch((error) =>
          process.emitWarning(
            `WrenClient: could not replay messages missed while disconnected: ${String(error)}`,
          ),
        )
      await this.#statuses
        .replay()
        .catch((error) =>
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
