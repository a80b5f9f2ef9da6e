/**
 * Typed client for the Wren daemon (bots, the CLI, tests). Types come from the API declaration:
 *
 *   const client = await WrenClient.connectProfile({ profile: 'alice' })
 *   const { conversations } = await client.call('conversations.list')
 *   await client.on('message', (m) => client.call('messages.send', { conversationId: m.conversationId, text: m.text }))
 *
 * Every wait is bounded: connecting by connectTimeoutMs, each call by callTimeoutMs.
 */
import { WebSocket } from 'ws'
import { readDaemonInfo, readRpcToken } from '../profile/daemon-info.ts'
import { DEFAULT_PROFILE, profilePaths, resolveHome } from '../profile/profile.ts'
import type { EventName, EventPayload, Message, MethodName, Params, Result } from './api.ts'
import { RpcConnectionError, RpcError } from './errors.ts'
import { MAX_RPC_MESSAGE_BYTES, RPC_HOST } from './server.ts'

/** Time to open and authenticate the WebSocket, in ms: the daemon is local. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000
/** Time one call may take, in ms: unlock runs Argon2 (~0.25 s); sends only queue. */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000

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
}

/** Params argument: optional when the method takes no required fields. */
type ParamsArg<M extends MethodName> =
  Record<string, never> extends Params<M> ? [params?: Params<M>] : [params: Params<M>]

type EventHandler = (payload: unknown) => void

interface Pending {
  resolve(result: unknown): void
  reject(error: Error): void
  timer: NodeJS.Timeout
}

export class WrenClient {
  readonly #ws: WebSocket
  readonly #callTimeoutMs: number
  readonly #onHandlerError: (error: unknown) => void
  readonly #pending = new Map<number, Pending>()
  readonly #handlers = new Map<EventName, Set<EventHandler>>()
  readonly #subscribed = new Set<EventName>()
  #nextId = 1
  #closed = false

  private constructor(ws: WebSocket, options: ConnectOptions) {
    this.#ws = ws
    this.#callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS
    this.#onHandlerError =
      options.onHandlerError ??
      ((error) => process.emitWarning(`WrenClient event handler threw: ${String(error)}`))
    ws.on('message', (data) => this.#onMessage(data.toString()))
    ws.on('close', () => this.#onClose())
    ws.on('error', () => {}) // 'close' follows and rejects what is pending
  }

  static connect(options: ConnectOptions): Promise<WrenClient> {
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
        resolve(new WrenClient(ws, options))
      })
    })
  }

  /** Connect to the daemon serving a profile, using its daemon.json and rpc-token. */
  static async connectProfile(options: ConnectProfileOptions = {}): Promise<WrenClient> {
    const paths = profilePaths(resolveHome(options.home), options.profile ?? DEFAULT_PROFILE)
    const info = await readDaemonInfo(paths)
    const token = await readRpcToken(paths)
    return WrenClient.connect({ ...options, url: `ws://${RPC_HOST}:${info.rpcPort}/`, token })
  }

  /** Call a method; rejects with RpcError (code, message, data) or RpcConnectionError. */
  call<M extends MethodName>(method: M, ...[params]: ParamsArg<M>): Promise<Result<M>> {
    if (this.#closed) return Promise.reject(new RpcConnectionError('ERR_CLOSED', 'client is closed'))
    const id = this.#nextId++
    return new Promise<Result<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        reject(
          new RpcConnectionError('ERR_TIMEOUT', `${method} got no answer within ${this.#callTimeoutMs} ms`),
        )
      }, this.#callTimeoutMs)
      this.#pending.set(id, { resolve: resolve as (r: unknown) => void, reject, timer })
      this.#ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params: params ?? {} }), (error) => {
        if (!error) return
        clearTimeout(timer)
        this.#pending.delete(id)
        reject(new RpcConnectionError('ERR_CLOSED', `send failed: ${error.message}`))
      })
    })
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
    const wrapped: EventHandler =
      event === 'message'
        ? (payload) =>
            (handler as (m: Message) => void)((payload as EventPayload<'message.received'>).message)
        : (handler as EventHandler)
    let set = this.#handlers.get(name)
    if (!set) {
      set = new Set()
      this.#handlers.set(name, set)
    }
    set.add(wrapped)
    if (!this.#subscribed.has(name)) {
      const { subscribed } = await this.call('events.subscribe', { events: [name] })
      for (const s of subscribed) this.#subscribed.add(s)
    }
    return () => {
      set.delete(wrapped)
    }
  }

  #onMessage(text: string): void {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      return // the daemon only sends JSON; ignore anything else
    }
    for (const item of Array.isArray(parsed) ? parsed : [parsed]) {
      if (typeof item !== 'object' || item === null) continue
      const msg = item as {
        id?: unknown
        method?: unknown
        params?: unknown
        result?: unknown
        error?: unknown
      }
      if (typeof msg.id === 'number') {
        const pending = this.#pending.get(msg.id)
        if (!pending) continue
        this.#pending.delete(msg.id)
        clearTimeout(pending.timer)
        if (msg.error && typeof msg.error === 'object') {
          const e = msg.error as { code?: unknown; message?: unknown; data?: unknown }
          pending.reject(new RpcError(Number(e.code), String(e.message), e.data))
        } else pending.resolve(msg.result)
      } else if (typeof msg.method === 'string' && msg.id === undefined) {
        for (const handler of this.#handlers.get(msg.method as EventName) ?? []) {
          try {
            handler(msg.params)
          } catch (error) {
            this.#onHandlerError(error)
          }
        }
      }
    }
  }

  #onClose(): void {
    this.#closed = true
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer)
      pending.reject(new RpcConnectionError('ERR_CLOSED', 'connection to the daemon closed'))
      this.#pending.delete(id)
    }
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Close the connection; resolves once closed (bounded by the connect timeout). */
  async close(): Promise<void> {
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
