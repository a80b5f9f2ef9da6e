/**
 * The JSON-RPC 2.0 client for the browser, typed from the daemon's API declaration (type-only
 * import: nothing of node/ reaches the bundle). The call and event bookkeeping is the client
 * core shared with the Node client (node/src/rpc/client-core.ts, bundle-safe); this file adds
 * the browser's WebSocket: it authenticates with the bearer subprotocol, reconnects with backoff
 * when the daemon restarts, and re-subscribes to events after a reconnect.
 */
import type { EventName, EventPayload, MethodName, Result } from '../../node/src/rpc/api.ts'
import {
  BEARER_SUBPROTOCOL_PREFIX,
  type CallFailure,
  DEFAULT_CALL_TIMEOUT_MS,
  type ParamsArg,
  RPC_SUBPROTOCOL,
  RpcClientCore,
} from '../../node/src/rpc/client-core.ts'
import type { DaemonLink } from './logic/connection.ts'

export { BEARER_SUBPROTOCOL_PREFIX, type ParamsArg, RPC_SUBPROTOCOL }
/** Time one call may take, in ms: the shared client default (unlock runs Argon2). */
export const CALL_TIMEOUT_MS = DEFAULT_CALL_TIMEOUT_MS
/** Reconnect backoff bounds, in ms: quick after a daemon restart, gentle while it is down. */
export const RECONNECT_MIN_MS = 250
export const RECONNECT_MAX_MS = 5_000

/** What the views need from a daemon connection; the preview harness supplies a fake one. */
export interface WrenRpc {
  call<M extends MethodName>(method: M, ...params: ParamsArg<M>): Promise<Result<M>>
  /** Handle an event; returns an unsubscribe function. */
  on<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void): () => void
  /** Follow the link state; the handler is called at once with the current state. */
  onLink(handler: (link: DaemonLink) => void): () => void
  close(): void
}

/** An error answer from the daemon, or a connection failure (code 'ERR_*'). */
export class BrowserRpcError extends Error {
  readonly code: number | string
  readonly data: unknown
  constructor(code: number | string, message: string, data?: unknown) {
    super(message)
    this.name = 'BrowserRpcError'
    this.code = code
    this.data = data
  }

  /** Application error name from data.error (e.g. 'LOCKED'), if any. */
  get errorName(): string | undefined {
    const d = this.data as { error?: unknown } | undefined
    return typeof d?.error === 'string' ? d.error : undefined
  }
}

/** A call that got no answer, in the words the views show. */
function connectionError(failure: CallFailure): BrowserRpcError {
  switch (failure.kind) {
    case 'timeout':
      return new BrowserRpcError('ERR_TIMEOUT', `The daemon did not answer ${failure.method} in time.`)
    case 'closed':
      return new BrowserRpcError('ERR_CLOSED', 'The connection to the Wren daemon closed.')
    case 'send':
      return new BrowserRpcError('ERR_CLOSED', `Could not send to the Wren daemon: ${failure.reason}`)
  }
}

export class BrowserRpcClient implements WrenRpc {
  readonly #url: string
  readonly #token: string
  readonly #core: RpcClientCore
  readonly #linkHandlers = new Set<(link: DaemonLink) => void>()
  #ws: WebSocket | null = null
  #link: DaemonLink = 'connecting'
  #backoff = RECONNECT_MIN_MS
  #closed = false
  #reconnectTimer: ReturnType<typeof setTimeout> | null = null

  constructor(url: string, token: string) {
    this.#url = url
    this.#token = token
    this.#core = new RpcClientCore({
      send: (text) => {
        if (this.#ws === null) throw new Error('not connected')
        this.#ws.send(text)
      },
      callTimeoutMs: CALL_TIMEOUT_MS,
      remoteError: (code, message, data) => new BrowserRpcError(code, message, data),
      failure: connectionError,
      // Reported like an uncaught error; the other handlers of the event still run.
      onHandlerError: (error) => reportError(error),
    })
    this.#open()
  }

  #setLink(link: DaemonLink): void {
    if (this.#link === link) return
    this.#link = link
    for (const h of this.#linkHandlers) h(link)
  }

  #open(): void {
    const ws = new WebSocket(this.#url, [RPC_SUBPROTOCOL, `${BEARER_SUBPROTOCOL_PREFIX}${this.#token}`])
    this.#ws = ws
    ws.onopen = () => {
      this.#backoff = RECONNECT_MIN_MS
      this.#setLink('open')
      const names = this.#core.listenedEvents()
      if (names.length > 0)
        this.call('events.subscribe', { events: names }).catch(() => {
          // the next reconnect retries; the link indicator already shows trouble
        })
    }
    ws.onmessage = (e) => this.#core.receive(String(e.data))
    ws.onclose = () => {
      this.#ws = null
      this.#core.failAll()
      if (this.#closed) return
      this.#setLink('closed')
      this.#reconnectTimer = setTimeout(() => this.#open(), this.#backoff)
      this.#backoff = Math.min(this.#backoff * 2, RECONNECT_MAX_MS)
    }
  }

  call<M extends MethodName>(method: M, ...[params]: ParamsArg<M>): Promise<Result<M>> {
    const ws = this.#ws
    if (ws === null || ws.readyState !== WebSocket.OPEN)
      return Promise.reject(new BrowserRpcError('ERR_CLOSED', 'Not connected to the Wren daemon.'))
    return this.#core.call(method, params)
  }

  on<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void): () => void {
    const first = !this.#core.isListening(event)
    const remove = this.#core.listen(event, handler)
    if (first && this.#link === 'open') this.call('events.subscribe', { events: [event] }).catch(() => {})
    return remove
  }

  onLink(handler: (link: DaemonLink) => void): () => void {
    this.#linkHandlers.add(handler)
    handler(this.#link)
    return () => {
      this.#linkHandlers.delete(handler)
    }
  }

  close(): void {
    this.#closed = true
    if (this.#reconnectTimer !== null) clearTimeout(this.#reconnectTimer)
    this.#ws?.close()
  }
}
