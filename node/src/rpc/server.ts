/**
 * JSON-RPC 2.0 over WebSocket, bound to 127.0.0.1 only.
 *
 * Authentication happens at the HTTP upgrade: `Authorization: Bearer <token>` or, for browsers
 * (which cannot set headers on a WebSocket), the subprotocol `wren.bearer.<token>`; anything else
 * gets 401 and no socket. The dispatcher is hand-written rather than json-rpc-2.0's: every request
 * needs per-method zod validation (-32602 naming the field), typed application errors, results
 * checked against the declaration, and notifications routed per connection — the library would
 * only frame what is twenty lines here.
 *
 * The server never throws on input: every failure becomes a JSON-RPC error, unexpected ones as
 * -32603 without details (those go to the log).
 *
 * Plain HTTP requests under a route's prefix (rpc/http-route.ts) pass the same token check.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { type RawData, WebSocket, WebSocketServer } from 'ws'
import {
  type EventName,
  type EventPayload,
  events,
  isMethodName,
  type MethodName,
  methods,
  type Params,
  type Result,
} from './api.ts'
import { BEARER_SUBPROTOCOL_PREFIX, RPC_SUBPROTOCOL } from './client-core.ts'
import { INTERNAL_ERROR_MESSAGE, toRpcError } from './error-map.ts'
import { JSONRPC_ERRORS } from './errors.ts'
import { admitHttp, type HttpRoute, httpError, routeFor } from './http-route.ts'

/** The only address the server listens on: the API is for local clients. */
export const RPC_HOST = '127.0.0.1'
/** Largest WebSocket message in bytes: a 64 Ki-character text JSON-escaped fits with room to spare. */
export const MAX_RPC_MESSAGE_BYTES = 1024 * 1024
/** Requests in one JSON-RPC batch: bounds the work one message can start. */
export const MAX_BATCH_REQUESTS = 64
/** Requests one connection may have in flight before the server stops reading from it. */
export const MAX_INFLIGHT_PER_CONNECTION = 32
/** Bytes queued to a client that does not read before it is disconnected (slow consumer). */
export const MAX_BUFFERED_BYTES = 16 * 1024 * 1024
/** Simultaneous client connections: CLI, desktop and a few bots. */
export const MAX_CONNECTIONS = 64
// The subprotocols (wren.v1 selected, wren.bearer.<token> for browsers) are declared once, in
// the client core both clients import; the server selects and reads them.
export { BEARER_SUBPROTOCOL_PREFIX, RPC_SUBPROTOCOL }

/** WebSocket close codes used by the server (RFC 6455 §7.4). */
const CLOSE_GOING_AWAY = 1001
const CLOSE_TRY_AGAIN_LATER = 1013

export interface RpcContext {
  /** Per-process connection number, for logs. */
  readonly connectionId: number
  /** Route these events to this connection; returns the full set it now receives. */
  subscribe(events: readonly EventName[]): EventName[]
}

export type Handlers = {
  [M in MethodName]: (params: Params<M>, ctx: RpcContext) => Promise<Result<M>>
}

export interface RpcLogger {
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
}

export interface RpcServerOptions {
  readonly handlers: Handlers
  readonly token: string
  /** 0 = any free port. */
  readonly port?: number
  /** Check results and event payloads against the schemas (default: on unless NODE_ENV=production). */
  readonly validateResults?: boolean
  readonly log?: RpcLogger
  /**
   * Told of every request for a known method on an authenticated connection, before its params
   * are checked (auto-lock's "activity", app/auto-lock.ts). Notifications pushed out are not requests.
   */
  readonly onRequest?: (method: MethodName) => void
  /** Plain HTTP routes beside the WebSocket (default none: every plain request gets 426). */
  readonly http?: readonly HttpRoute[]
}

interface Connection {
  readonly id: number
  readonly ws: WebSocket
  /** The upgraded socket under `ws`: corked while a tick's frames are written (see #write). */
  readonly socket: Duplex
  corked: boolean
  readonly subscriptions: Set<EventName>
  inflight: number
  paused: boolean
}

type JsonRpcId = string | number | null
type Response =
  | { jsonrpc: '2.0'; id: JsonRpcId; result: unknown }
  | { jsonrpc: '2.0'; id: JsonRpcId; error: { code: number; message: string; data?: unknown } }

const silentLog: RpcLogger = { info() {}, warn() {}, error() {} }

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest()
}

function errorResponse(id: JsonRpcId, code: number, message: string, data?: unknown): Response {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

export class RpcServer {
  readonly #handlers: Handlers
  readonly #tokenDigest: Buffer
  readonly #validate: boolean
  readonly #log: RpcLogger
  readonly #onRequest: (method: MethodName) => void
  readonly #http: Server
  readonly #wss: WebSocketServer
  readonly #connections = new Set<Connection>()
  #nextConnectionId = 1

  private constructor(options: RpcServerOptions) {
    this.#handlers = options.handlers
    this.#tokenDigest = digest(options.token)
    this.#validate = options.validateResults ?? process.env.NODE_ENV !== 'production'
    this.#log = options.log ?? silentLog
    this.#onRequest = options.onRequest ?? (() => {})
    this.#http = createServer((req, res) => {
      const route = routeFor(options.http ?? [], req)
      if (route !== undefined) this.#onHttp(route, req, res)
      else
        res
          .writeHead(426, { 'content-type': 'text/plain', connection: 'close' })
          .end('WebSocket upgrade required\n')
    })
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_RPC_MESSAGE_BYTES,
      perMessageDeflate: false,
      handleProtocols: (protocols) => {
        if (protocols.has(RPC_SUBPROTOCOL)) return RPC_SUBPROTOCOL
        for (const p of protocols) if (p.startsWith(BEARER_SUBPROTOCOL_PREFIX)) return p
        return false
      },
    })
    this.#http.on('upgrade', (req, socket, head) => this.#onUpgrade(req, socket, head))
    this.#http.on('clientError', (_error, socket) => socket.destroy())
  }

  static async start(options: RpcServerOptions): Promise<RpcServer> {
    const server = new RpcServer(options)
    await new Promise<void>((resolve, reject) => {
      server.#http.once('error', reject)
      server.#http.listen(options.port ?? 0, RPC_HOST, () => {
        server.#http.off('error', reject)
        resolve()
      })
    })
    return server
  }

  get port(): number {
    return (this.#http.address() as AddressInfo).port
  }

  get url(): string {
    return `ws://${RPC_HOST}:${this.port}/`
  }

  get connectionCount(): number {
    return this.#connections.size
  }

  #authorized(req: IncomingMessage): boolean {
    const candidates: string[] = []
    const auth = req.headers.authorization
    if (typeof auth === 'string') {
      const match = /^Bearer\s+(\S+)$/i.exec(auth)
      if (match?.[1]) candidates.push(match[1])
    }
    const protocols = req.headers['sec-websocket-protocol']
    if (typeof protocols === 'string')
      for (const p of protocols.split(','))
        if (p.trim().startsWith(BEARER_SUBPROTOCOL_PREFIX))
          candidates.push(p.trim().slice(BEARER_SUBPROTOCOL_PREFIX.length))
    // Compare fixed-length digests so neither content nor length leaks through timing.
    return candidates.some((c) => timingSafeEqual(digest(c), this.#tokenDigest))
  }

  #onHttp(route: HttpRoute, req: IncomingMessage, res: ServerResponse): void {
    if (!admitHttp(req, res, () => this.#authorized(req))) {
      this.#log.warn('http request refused', { status: res.statusCode })
      return
    }
    try {
      route.handle(req, res)
    } catch (error) {
      this.#log.error('http route failed', { error: error instanceof Error ? error.name : typeof error })
      httpError(res, 500, 'INTERNAL', INTERNAL_ERROR_MESSAGE)
    }
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy())
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
      socket.destroy()
    }
    if (!this.#authorized(req)) {
      this.#log.warn('rpc connection refused', { reason: 'unauthorized' })
      refuse('401 Unauthorized')
      return
    }
    if (this.#connections.size >= MAX_CONNECTIONS) {
      this.#log.warn('rpc connection refused', { reason: 'too many connections' })
      refuse('503 Service Unavailable')
      return
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onConnection(ws, socket))
  }

  #onConnection(ws: WebSocket, socket: Duplex): void {
    const conn: Connection = {
      id: this.#nextConnectionId++,
      ws,
      socket,
      corked: false,
      subscriptions: new Set(),
      inflight: 0,
      paused: false,
    }
    this.#connections.add(conn)
    this.#log.info('rpc client connected', { connection: conn.id })
    ws.on('message', (data) => this.#onMessage(conn, data))
    ws.on('error', (error) =>
      this.#log.warn('rpc connection error', { connection: conn.id, error: error.message }),
    )
    ws.on('close', () => {
      this.#connections.delete(conn)
      this.#log.info('rpc client disconnected', { connection: conn.id })
    })
  }

  #send(conn: Connection, payload: unknown): void {
    if (conn.ws.readyState !== WebSocket.OPEN) return
    if (conn.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.#log.warn('rpc client too slow, disconnecting', { connection: conn.id })
      conn.ws.close(CLOSE_TRY_AGAIN_LATER, 'slow consumer')
      return
    }
    this.#write(conn, JSON.stringify(payload))
  }

  /**
   * Send one text frame. The frames written in one tick leave in one socket write: a client with
   * 64 calls in flight gets a burst of responses and events at once, and a write (a syscall) per
   * frame cost more than building the frames (ws corks only within one frame).
   */
  #write(conn: Connection, text: string): void {
    if (!conn.corked) {
      conn.corked = true
      conn.socket.cork()
      process.nextTick(() => {
        conn.corked = false
        conn.socket.uncork()
      })
    }
    conn.ws.send(text)
  }

  #onMessage(conn: Connection, data: RawData): void {
    // Text and binary frames are both read as UTF-8 JSON.
    const text = Buffer.isBuffer(data)
      ? data.toString('utf8')
      : Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.from(data).toString('utf8')
    conn.inflight++
    if (conn.inflight >= MAX_INFLIGHT_PER_CONNECTION && !conn.paused) {
      conn.paused = true
      conn.ws.pause()
    }
    this.#dispatch(conn, text)
      .catch((error: unknown) => this.#log.error('rpc dispatch failed', { error: String(error) }))
      .finally(() => {
        conn.inflight--
        if (conn.paused && conn.inflight < MAX_INFLIGHT_PER_CONNECTION) {
          conn.paused = false
          conn.ws.resume()
        }
      })
  }

  async #dispatch(conn: Connection, text: string): Promise<void> {
    let message: unknown
    try {
      message = JSON.parse(text)
    } catch {
      this.#send(
        conn,
        errorResponse(null, JSONRPC_ERRORS.PARSE_ERROR.code, 'parse error: message is not valid JSON'),
      )
      return
    }
    if (Array.isArray(message)) {
      if (message.length === 0 || message.length > MAX_BATCH_REQUESTS) {
        const why = message.length === 0 ? 'empty batch' : `batch larger than ${MAX_BATCH_REQUESTS} requests`
        this.#send(conn, errorResponse(null, JSONRPC_ERRORS.INVALID_REQUEST.code, `invalid request: ${why}`))
        return
      }
      const responses = await Promise.all(message.map((request) => this.#handle(conn, request)))
      const present = responses.filter((r): r is Response => r !== undefined)
      if (present.length > 0) this.#send(conn, present)
      return
    }
    const response = await this.#handle(conn, message)
    if (response !== undefined) this.#send(conn, response)
  }

  /** One request → its response, or undefined for a notification. */
  async #handle(conn: Connection, request: unknown): Promise<Response | undefined> {
    const invalid = (id: JsonRpcId, why: string) =>
      errorResponse(id, JSONRPC_ERRORS.INVALID_REQUEST.code, `invalid request: ${why}`)
    if (!isPlainObject(request)) return invalid(null, 'expected an object')
    const rawId = request.id
    const hasId = 'id' in request
    if (hasId && rawId !== null && typeof rawId !== 'string' && typeof rawId !== 'number')
      return invalid(null, 'id must be a string, number or null')
    const id: JsonRpcId = hasId ? (rawId as JsonRpcId) : null
    if (request.jsonrpc !== '2.0') return invalid(id, 'jsonrpc must be "2.0"')
    if (typeof request.method !== 'string') return invalid(id, 'method must be a string')
    const method = request.method
    const reply = (response: Response) => (hasId ? response : undefined)

    if (!isMethodName(method))
      return reply(
        errorResponse(id, JSONRPC_ERRORS.METHOD_NOT_FOUND.code, `method not found: ${method.slice(0, 100)}`),
      )
    this.#onRequest(method)
    const rawParams = request.params === undefined ? {} : request.params
    if (!isPlainObject(rawParams))
      return reply(
        errorResponse(id, JSONRPC_ERRORS.INVALID_PARAMS.code, 'invalid params: params must be an object'),
      )
    const parsed = methods[method].params.safeParse(rawParams)
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))
      const summary = issues.map((i) => `${i.path || '(params)'}: ${i.message}`).join('; ')
      return reply(
        errorResponse(id, JSONRPC_ERRORS.INVALID_PARAMS.code, `invalid params for ${method}: ${summary}`, {
          issues,
        }),
      )
    }

    const ctx: RpcContext = {
      connectionId: conn.id,
      subscribe: (names) => {
        for (const name of names) conn.subscriptions.add(name)
        return [...conn.subscriptions]
      },
    }
    let result: unknown
    try {
      const handler = this.#handlers[method] as (p: unknown, c: RpcContext) => Promise<unknown>
      result = await handler(parsed.data, ctx)
    } catch (error) {
      // one table maps what was thrown to what the client sees (rpc/error-map.ts)
      const mapped = toRpcError(error, method)
      if (mapped.internal)
        this.#log.error('rpc handler failed', {
          method,
          error: error instanceof Error ? error.name : typeof error,
        })
      return reply(errorResponse(id, mapped.error.code, mapped.error.message, mapped.error.data))
    }
    if (this.#validate) {
      const checked = methods[method].result.safeParse(result)
      if (!checked.success) {
        const issue = checked.error.issues[0]
        this.#log.error('rpc result does not match its schema', { method, path: issue?.path.join('.') })
        return reply(errorResponse(id, JSONRPC_ERRORS.INTERNAL_ERROR.code, INTERNAL_ERROR_MESSAGE))
      }
    }
    return reply({ jsonrpc: '2.0', id, result })
  }

  /** Send an event as a JSON-RPC notification to every connection subscribed to it. */
  notify<E extends EventName>(event: E, payload: EventPayload<E>): void {
    if (this.#validate) {
      const checked = events[event].payload.safeParse(payload)
      if (!checked.success) {
        this.#log.error('event payload does not match its schema', { event })
        return
      }
    }
    let text: string | undefined
    for (const conn of this.#connections) {
      if (!conn.subscriptions.has(event)) continue
      text ??= JSON.stringify({ jsonrpc: '2.0', method: event, params: payload })
      if (conn.ws.readyState !== WebSocket.OPEN) continue
      if (conn.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        conn.ws.close(CLOSE_TRY_AGAIN_LATER, 'slow consumer')
        continue
      }
      this.#write(conn, text)
    }
  }

  async close(): Promise<void> {
    for (const conn of this.#connections) conn.ws.close(CLOSE_GOING_AWAY, 'daemon stopping')
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()))
    for (const conn of this.#connections) conn.ws.terminate()
    await new Promise<void>((resolve) => {
      this.#http.close(() => resolve())
      this.#http.closeAllConnections()
    })
  }
}
