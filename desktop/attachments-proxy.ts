/**
 * The page's way to the daemon's attachments endpoint (node/src/rpc/handlers/attachments-http.ts):
 * /attachments/… on the shell's own origin, forwarded to the daemon's port with the RPC token.
 * So images load as same-origin URLs (the page's CSP, img-src 'self', stays as it is), uploads
 * report progress from XMLHttpRequest without CORS, and the token never leaves the server side
 * for these requests. desktop/server.ts checks the session cookie and the fetch's origin first.
 *
 * Both bodies are streamed (piped with backpressure); nothing is buffered whole.
 */
import { type IncomingMessage, request, type ServerResponse } from 'node:http'

/** The path prefix forwarded (the daemon's ATTACHMENTS_HTTP_PREFIX). */
export const ATTACHMENTS_PREFIX = '/attachments'
/** Request headers passed on to the daemon (the rest, cookies first, stay here). */
const FORWARDED_REQUEST_HEADERS = ['content-type', 'content-length', 'transfer-encoding'] as const
/** Response headers the daemon decides for a file (its own CSP for the body among them). */
const FORWARDED_RESPONSE_HEADERS = [
  'content-type',
  'content-length',
  'content-disposition',
  'cache-control',
  'x-content-type-options',
  'content-security-policy',
  'cross-origin-resource-policy',
] as const

/** Whether `path` is under the forwarded prefix. */
export function isAttachmentsPath(path: string): boolean {
  return path === ATTACHMENTS_PREFIX || path.startsWith(`${ATTACHMENTS_PREFIX}/`)
}

/** The daemon's HTTP origin from its RPC WebSocket URL (ws://127.0.0.1:port/ → http://127.0.0.1:port). */
export function daemonHttpOrigin(rpcUrl: string): string {
  const url = new URL(rpcUrl)
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:'
  return url.origin
}

function gatewayError(res: ServerResponse, base: Record<string, string>): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  res
    .writeHead(502, { ...base, 'content-type': 'application/json', 'cache-control': 'no-store' })
    .end(JSON.stringify({ error: 'DAEMON_UNREACHABLE', message: 'The Wren daemon did not answer.' }))
}

/**
 * Forward `req` (path and query kept) to the daemon; `base` headers (the shell's security
 * headers) go on the answer under the daemon's own.
 */
export function proxyAttachments(
  req: IncomingMessage,
  res: ServerResponse,
  target: { readonly rpcUrl: string; readonly token: string },
  base: Record<string, string>,
): void {
  const origin = new URL(daemonHttpOrigin(target.rpcUrl))
  const headers: Record<string, string> = { authorization: `Bearer ${target.token}` }
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = req.headers[name]
    if (typeof value === 'string') headers[name] = value
  }
  const upstream = request(
    {
      host: origin.hostname,
      port: origin.port,
      method: req.method,
      path: req.url,
      headers,
    },
    (answer) => {
      const out: Record<string, string> = { ...base }
      for (const name of FORWARDED_RESPONSE_HEADERS) {
        const value = answer.headers[name]
        if (typeof value === 'string') out[name] = value
      }
      res.writeHead(answer.statusCode ?? 502, out)
      answer.pipe(res)
      answer.on('error', () => res.destroy())
    },
  )
  upstream.on('error', () => gatewayError(res, base))
  // the page went away: stop the daemon's side too (an upload it then drops, a stream it stops)
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy()
  })
  req.pipe(upstream)
}
