/**
 * A small JSON-RPC 2.0 client for the browser, typed from the daemon's API declaration
 * (type-only import: nothing of node/ reaches the bundle). It authenticates with the bearer
 * subprotocol, reconnects with backoff when the daemon restarts, re-subscribes to events after
 * a reconnect, and bounds every call with a timeout.
 */
import type { EventName, EventPayload, MethodName, Params, Result } from '../../node/src/rpc/api.ts'
import type { DaemonLink } from './logic/connection.ts'

/** Subprotocol the daemon selects, so the token is never echoed back in the handshake. */
export const RPC_SUBPROTOCOL = 'wren.v1'
export const BEARER_SUBPROTOCOL_PREFIX = 'wren.bearer.'
/** Time one call may take, in ms: unlock runs Argon2; the rest answer in milliseconds. */
export const CALL_TIMEOUT_MS = 30_000
/** Reconnect backoff bounds, in ms: quick after a daemon restart, gentle while it is down. */
export const RECONNECT_MIN_MS = 250
export const RECONNECT_MAX_MS = 5_000

export type ParamsArg<M extends MethodName> =
  Record<string, never> extends Params<M> ? [params?: Params<M>] : [params: Params<M>]

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

interface Pending {
  resolve(result: unknown): void
  reject(error: Error): void
  timer: ReturnType<typeof setTimeout>
}

type Handler = (payload: unknown) => void

export class BrowserRpcClient implements WrenRpc {
  readonly #url: string
  readonly #token: string
  readonly #pending = new Map<number, Pending>()
  readonly #handlers = new Map<EventName, Set<Handler>>()
  readonly #linkHandlers = new Set<(link: DaemonLink) => void>()
  #ws: WebSocket | null = null
  #link: DaemonLink = 'connecting'
  #nextId = 1
  #backoff = RECONNECT_MIN_MS
  #closed = false
  #reconnectTimer: ReturnType<typeof setTimeout> | null = null

  constructor(url: string, token: string) {
    this.#url = url
    this.#token = token
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
      const names = [...this.#handlers.keys()]
      if (names.length > 0)
        this.call('events.subscribe', { events: names }).catch(() => {
          // the next reconnect retries; the link indicator already shows trouble
        })
    }
    ws.onmessage = (e) => this.#onMessage(String(e.data))
    ws.onclose = () => {
      this.#ws = null
      for (const [id, p] of this.#pending) {
        clearTimeout(p.timer)
        p.reject(new BrowserRpcError('ERR_CLOSED', 'The connection to the Wren daemon closed.'))
        this.#pending.delete(id)
      }
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
    const id = this.#nextId++
    return new Promise<Result<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        reject(new BrowserRpcError('ERR_TIMEOUT', `The daemon did not answer ${method} in time.`))
      }, CALL_TIMEOUT_MS)
      this.#pending.set(id, { resolve: resolve as (r: unknown) => void, reject, timer })
      ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params: params ?? {} }))
    })
  }

  on<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void): () => void {
    let set = this.#handlers.get(event)
    if (!set) {
      set = new Set()
      this.#handlers.set(event, set)
      if (this.#link === 'open') this.call('events.subscribe', { events: [event] }).catch(() => {})
    }
    set.add(handler as Handler)
    return () => {
      set.delete(handler as Handler)
    }
  }

  onLink(handler: (link: DaemonLink) => void): () => void {
    this.#linkHandlers.add(handler)
    handler(this.#link)
    return () => {
      this.#linkHandlers.delete(handler)
    }
  }

  #onMessage(text: string): void {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      return
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
        const p = this.#pending.get(msg.id)
        if (!p) continue
        this.#pending.delete(msg.id)
        clearTimeout(p.timer)
        if (msg.error && typeof msg.error === 'object') {
          const e = msg.error as { code?: unknown; message?: unknown; data?: unknown }
          p.reject(new BrowserRpcError(Number(e.code), String(e.message), e.data))
        } else p.resolve(msg.result)
      } else if (typeof msg.method === 'string' && msg.id === undefined) {
        for (const h of this.#handlers.get(msg.method as EventName) ?? []) h(msg.params)
      }
    }
  }

  close(): void {
    this.#closed = true
    if (this.#reconnectTimer !== null) clearTimeout(this.#reconnectTimer)
    this.#ws?.close()
  }
}
