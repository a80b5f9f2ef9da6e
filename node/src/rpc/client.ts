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
import type { EventName, EventPayload, Message, MethodName, Result } from './api.ts'
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
}

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
  readonly #ws: WebSocket
  readonly #core: RpcClientCore
  readonly #subscribed = new Set<EventName>()
  #closed = false

  private constructor(ws: WebSocket, options: ConnectOptions) {
    this.#ws = ws
    this.#core = new RpcClientCore({
      send: (text) =>
        new Promise<void>((resolve, reject) => ws.send(text, (error) => (error ? reject(error) : resolve()))),
      callTimeoutMs: options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
      remoteError: (code, message, data) => new RpcError(code, message, data),
      failure: connectionError,
      onHandlerError:
        options.onHandlerError ??
        ((error) => process.emitWarning(`WrenClient event handler threw: ${String(error)}`)),
    })
    ws.on('message', (data) => this.#core.receive(data.toString()))
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
    return this.#core.call(method, params)
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
    const wrapped: (payload: EventPayload<EventName>) => void =
      event === 'message'
        ? (payload) =>
            (handler as (m: Message) => void)((payload as EventPayload<'message.received'>).message)
        : (handler as (payload: EventPayload<EventName>) => void)
    const remove = this.#core.listen(name, wrapped)
    if (!this.#subscribed.has(name)) {
      const { subscribed } = await this.call('events.subscribe', { events: [name] })
      for (const s of subscribed) this.#subscribed.add(s)
    }
    return remove
  }

  #onClose(): void {
    this.#closed = true
    this.#core.failAll()
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
