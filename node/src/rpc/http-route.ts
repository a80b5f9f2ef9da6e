/**
 * Plain HTTP beside the RPC's WebSocket, on the same port and behind the same bearer token: the
 * routes (today the attachments endpoint, rpc/handlers/attachments-http.ts) and the checks every
 * request passes before a route sees it: a loopback Host (a DNS-rebinding page names another),
 * no cross-site fetch, and the token in `Authorization: Bearer …` (checked by the server).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

/** Hosts a request may name (anything else may be a DNS-rebinding page). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]'])

/** Plain HTTP requests under `prefix` (a path like '/attachments'), admitted by the server. */
export interface HttpRoute {
  readonly prefix: string
  handle(req: IncomingMessage, res: ServerResponse): void
}

export function hostIsLoopback(req: IncomingMessage): boolean {
  const host = req.headers.host
  if (typeof host !== 'string') return false
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!
  return LOOPBACK_HOSTS.has(name.toLowerCase())
}

/** The route whose prefix covers the request's path, if any. */
export function routeFor(routes: readonly HttpRoute[], req: IncomingMessage): HttpRoute | undefined {
  const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
  return routes.find((r) => path === r.prefix || path.startsWith(`${r.prefix}/`))
}

/** A JSON error answer (`{ error, message }`); the connection closes, as the body may be unread. */
export function httpError(res: ServerResponse, status: number, error: string, message: string): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  res
    .writeHead(status, {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      connection: 'close',
    })
    .end(JSON.stringify({ error, message }))
}

/**
 * Answer a request that may not reach a route (and return false), or return true. `authorized`
 * is the server's bearer check, run last.
 */
export function admitHttp(req: IncomingMessage, res: ServerResponse, authorized: () => boolean): boolean {
  if (!hostIsLoopback(req)) {
    httpError(res, 421, 'MISDIRECTED', 'Wren answers loopback hosts only')
    return false
  }
  // a page of another site never has the token; refuse its requests before looking at one
  if (req.headers['sec-fetch-site'] === 'cross-site') {
    httpError(res, 403, 'CROSS_SITE', 'cross-site requests are refused')
    return false
  }
  if (!authorized()) {
    httpError(res, 401, 'UNAUTHORIZED', 'a valid bearer token is required')
    return false
  }
  return true
}
