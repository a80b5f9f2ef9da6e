/**
 * The JSON-RPC 2.0 bookkeeping both daemon clients share: the Node client (client.ts, over `ws`)
 * and the browser client (desktop/src/rpc-browser.ts, over the browser's WebSocket). It numbers
 * requests, keeps each pending call with its own timeout, matches answers by id (batches
 * included), hands notifications to the event handlers, and rejects every pending call when the
 * transport closes. The transport, the error classes and their wording stay with each client.
 *
 * Bundle-safe on purpose: it imports only the API's types (erased), no `node:` module and no
 * package, so esbuild puts nothing of node/ into the desktop bundle (biome.jsonc enforces this).
 * Timers are the platform's setTimeout, which Node and browsers both have.
 *
 * Hand-written rather than on json-rpc-2.0's JSONRPCClient: that client turns a timeout or a
 * closed transport into an ordinary JSON-RPC error answer with code 0, so "the daemon said no"
 * and "the daemon never answered" could only be told apart by a made-up code; it is untyped
 * (`any` results, string methods), has no notification routing, and would still leave this file
 * to do the typing, the event handlers and the error mapping. The bookkeeping is this file.
 */
import type { EventName, EventPayload, MethodName, Params, Result } from './api.ts'

/** Subprotocol the daemon selects, so a browser's bearer token is never echoed in the handshake. */
export const RPC_SUBPROTOCOL = 'wren.v1'
/** Browsers cannot set headers on a WebSocket: they offer the token as `wren.bearer.<token>`. */
export const BEARER_SUBPROTOCOL_PREFIX = 'wren.bearer.'
/** Time one call may take, in ms: unlock runs Argon2 (~0.25 s); sends only queue. */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000
/**
 * Longest answer text parsed, in UTF-16 units: the Node client's WebSocket maxPayload (16 MiB);
 * a longer text is dropped unparsed and the call it answered times out.
 */
export const MAX_ANSWER_CHARS = 16 * 1024 * 1024

/** Params argument: optional when the method takes no required fields. */
export type ParamsArg<M extends MethodName> =
  Record<string, never> extends Params<M> ? [params?: Params<M>] : [params: Params<M>]

/** Why a call failed without an answer from the daemon; each client words it its own way. */
export type CallFailure =
  | { readonly kind: 'timeout'; readonly method: MethodName; readonly timeoutMs: number }
  | { readonly kind: 'closed' }
  | { readonly kind: 'send'; readonly method: MethodName; readonly reason: string }

export interface RpcClientCoreInit {
  /** Hands one request text to the transport; a throw or a rejection fails that call ('send'). */
  send(text: string): void | Promise<void>
  /** Time each call may take, in ms (default DEFAULT_CALL_TIMEOUT_MS). */
  readonly callTimeoutMs?: number
  /** The error a call rejects with when the daemon answers with an error object. */
  remoteError(code: number, message: string, data: unknown): Error
  /** The error a call rejects with when it got no answer. */
  failure(failure: CallFailure): Error
  /** Called when an event handler throws; the remaining handlers still run. */
  onHandlerError(error: unknown): void
}

type Handler = (payload: unknown) => void

interface Pending {
  resolve(result: unknown): void
  reject(error: Error): void
  timer: ReturnType<typeof setTimeout>
}

interface Incoming {
  id?: unknown
  method?: unknown
  params?: unknown
  result?: unknown
  error?: unknown
}

export class RpcClientCore {
  readonly #init: RpcClientCoreInit
  readonly #callTimeoutMs: number
  readonly #pending = new Map<number, Pending>()
  readonly #handlers = new Map<EventName, Set<Handler>>()
  #nextId = 1

  constructor(init: RpcClientCoreInit) {
    this.#init = init
    this.#callTimeoutMs = init.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS
  }

  /** Calls in flight (sent, neither answered nor failed). */
  get pendingCalls(): number {
    return this.#pending.size
  }

  /** Send a request; settles with the daemon's answer, or with init.failure(...) without one. */
  call<M extends MethodName>(method: M, params: Params<M> | undefined): Promise<Result<M>> {
    const id = this.#nextId++
    return new Promise<Result<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        reject(this.#init.failure({ kind: 'timeout', method, timeoutMs: this.#callTimeoutMs }))
      }, this.#callTimeoutMs)
      this.#pending.set(id, { resolve: resolve as (r: unknown) => void, reject, timer })
      const sendFailed = (error: unknown) => {
        if (!this.#pending.delete(id)) return
        clearTimeout(timer)
        const reason = error instanceof Error ? error.message : String(error)
        reject(this.#init.failure({ kind: 'send', method, reason }))
      }
      try {
        const sent = this.#init.send(JSON.stringify({ jsonrpc: '2.0', id, method, params: params ?? {} }))
        if (sent !== undefined) sent.catch(sendFailed)
      } catch (error) {
        sendFailed(error)
      }
    })
  }

  /** Add an event handler; returns a function that removes it. */
  listen<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void): () => void {
    let set = this.#handlers.get(event)
    if (!set) {
      set = new Set()
      this.#handlers.set(event, set)
    }
    set.add(handler as Handler)
    return () => {
      set.delete(handler as Handler)
    }
  }

  /** Whether an event ever had a handler (its subscription is wanted, also after a reconnect). */
  isListening(event: EventName): boolean {
    return this.#handlers.has(event)
  }

  /** Every event that ever had a handler, to subscribe again after a reconnect. */
  listenedEvents(): EventName[] {
    return [...this.#handlers.keys()]
  }

  /** Take one text from the transport: answers settle their calls, notifications reach handlers. */
  receive(text: string): void {
    if (text.length > MAX_ANSWER_CHARS) return
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      return // the daemon only sends JSON; ignore anything else
    }
    for (const item of Array.isArray(parsed) ? parsed : [parsed]) {
      if (typeof item !== 'object' || item === null) continue
      const msg = item as Incoming
      if (typeof msg.id === 'number') this.#settle(msg.id, msg)
      else if (typeof msg.method === 'string' && msg.id === undefined) this.#notify(msg.method, msg.params)
    }
  }

  /** The transport closed: reject every pending call with init.failure({ kind: 'closed' }). */
  failAll(): void {
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer)
      this.#pending.delete(id)
      pending.reject(this.#init.failure({ kind: 'closed' }))
    }
  }

  #settle(id: number, msg: Incoming): void {
    const pending = this.#pending.get(id)
    if (!pending) return
    this.#pending.delete(id)
    clearTimeout(pending.timer)
    if (msg.error && typeof msg.error === 'object') {
      const e = msg.error as { code?: unknown; message?: unknown; data?: unknown }
      pending.reject(this.#init.remoteError(Number(e.code), String(e.message), e.data))
    } else pending.resolve(msg.result)
  }

  /** Hand an event to its handlers as if the daemon had sent it (a client replaying what it missed). */
  deliver<E extends EventName>(event: E, payload: EventPayload<E>): void {
    this.#notify(event, payload)
  }

  #notify(method: string, params: unknown): void {
    for (const handler of this.#handlers.get(method as EventName) ?? []) {
      try {
        handler(params)
      } catch (error) {
        this.#init.onHandlerError(error)
      }
    }
  }
}
