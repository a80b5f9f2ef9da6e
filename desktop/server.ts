/**
 * Serves the desktop shell on 127.0.0.1 and hands it the RPC credentials without ever putting
 * the token in a URL that lingers:
 *
 *   1. The launcher gets a one-time code (in-process: mintLaunchCode(); from another process:
 *      POST /launch-code with `Authorization: Bearer <rpc token>`), valid LAUNCH_CODE_TTL_MS.
 *   2. The window opens /launch?code=…; the code is consumed, an HttpOnly SameSite=Strict
 *      session cookie is set, and the answer redirects to / (the code leaves the address bar).
 *      Browsers share cookies between ports of one host, so the cookie is named after the port
 *      (`wren_session_<port>`): two profiles, each on its own port, work side by side in one browser.
 *   3. The page fetches /session, which returns { rpcUrl, token } only with a valid cookie.
 *
 * Requests must name a loopback Host (DNS-rebinding guard). Pages carry a strict CSP.
 * /attachments/… (sending and viewing files) is forwarded to the daemon with the token, for a
 * valid session cookie and a fetch from this origin only (attachments-proxy.ts).
 *
 * Mount it in the daemon's HTTP server with createDesktopHandler(), or run it on its own port
 * with startDesktopServer().
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { access, readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isAttachmentsPath, proxyAttachments } from './attachments-proxy.ts'

const here = dirname(fileURLToPath(import.meta.url))
/** Where desktop/build.ts writes the bundle. */
export const DEFAULT_DIST_DIR = join(here, 'dist')
/** The only address the standalone server listens on. */
export const DESKTOP_HOST = '127.0.0.1'
/** A launch code is good for this long, in ms: the launcher opens the window right away. */
export const LAUNCH_CODE_TTL_MS = 60_000
/** Unconsumed launch codes held at once; older ones are dropped (each launch mints one). */
export const MAX_LAUNCH_CODES = 16
/** Sessions held at once (one per window or browser); the oldest is dropped beyond this. */
export const MAX_SESSIONS = 32
/** A session lasts this long, in ms, then the window must be launched again. */
export const SESSION_TTL_MS = 7 * 24 * 3_600_000
/** Bytes of randomness in a launch code and in a session id (256 bits). */
const SECRET_BYTES = 32
/** Prefix of the session cookie's name; the port that serves the shell completes it. */
export const SESSION_COOKIE_PREFIX = 'wren_session_'

/** The session cookie of the shell served on `port` (cookies ignore ports, names do not). */
export function sessionCookieName(port: number): string {
  return `${SESSION_COOKIE_PREFIX}${port}`
}

/** The command that opens the shell with a fresh one-time link (what the "no session" page names). */
export function launchCommand(profile: string | undefined): string {
  return profile === undefined || profile === 'default' ? 'npm start' : `npm start -- --profile ${profile}`
}
/** Hosts a request may name (anything else may be a DNS-rebinding page). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]'])

const STATIC_FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/call-worker.js': { file: 'call-worker.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
}

export interface DesktopHandlerOptions {
  /** The daemon's RPC bearer token. */
  readonly token: string
  /** The RPC WebSocket URL (ws://127.0.0.1:port/); a function when known only after listen. */
  readonly rpcUrl: string | (() => string)
  /** Bundle directory (default desktop/dist, built on first request when missing). */
  readonly distDir?: string
  /** Clock, for tests; default Date.now. */
  readonly now?: () => number
  /** The profile served, named in the "no session" answer so the page can say how to relaunch. */
  readonly profile?: string
}

export interface DesktopHandler {
  /** Handle a request; answers every request (404 for unknown paths). */
  handle(req: IncomingMessage, res: ServerResponse): void
  /** A fresh one-time launch code. */
  mintLaunchCode(): string
  /** Path of the launch URL for a fresh code: `/launch?code=…` (prefix the origin). */
  launchPath(): string
}

function digest(s: string): string {
  return createHash('sha256').update(s).digest('base64url')
}

function tokenMatches(candidate: string, token: string): boolean {
  const a = createHash('sha256').update(candidate).digest()
  const b = createHash('sha256').update(token).digest()
  return timingSafeEqual(a, b)
}

function secret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url')
}

function hostIsLoopback(req: IncomingMessage): boolean {
  const host = req.headers.host
  if (typeof host !== 'string') return false
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!
  return LOOPBACK_HOSTS.has(name.toLowerCase())
}

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie
  if (typeof header !== 'string') return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

function origin(url: string): string {
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.host}`
  } catch {
    return ''
  }
}

function securityHeaders(rpcUrl: string): Record<string, string> {
  return {
    'content-security-policy': [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      `connect-src 'self' ${origin(rpcUrl)}`,
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  }
}

/** Drop expired entries and, past `max`, the oldest (Maps iterate in insertion order). */
function prune(map: Map<string, number>, now: number, ttl: number, max: number): void {
  for (const [k, created] of map) if (now - created > ttl) map.delete(k)
  while (map.size > max) map.delete(map.keys().next().value!)
}

export function createDesktopHandler(options: DesktopHandlerOptions): DesktopHandler {
  const distDir = options.distDir ?? DEFAULT_DIST_DIR
  const now = options.now ?? Date.now
  const rpcUrl = typeof options.rpcUrl === 'string' ? () => options.rpcUrl as string : options.rpcUrl
  /** digest(code) → minted at; digests so lookups cannot leak a code through timing. */
  const codes = new Map<string, number>()
  /** digest(session id) → created at. */
  const sessions = new Map<string, number>()
  let built: Promise<void> | null = null

  const ensureBuilt = (): Promise<void> => {
    built ??= access(join(distDir, 'index.html')).catch(async () => {
      if (options.distDir !== undefined) throw new Error(`no bundle in ${distDir}`)
      const { buildDesktop } = await import('./build.ts')
      await buildDesktop()
    })
    built.catch(() => {
      built = null
    })
    return built
  }

  const mintLaunchCode = (): string => {
    const code = secret()
    codes.set(digest(code), now())
    prune(codes, now(), LAUNCH_CODE_TTL_MS, MAX_LAUNCH_CODES)
    return code
  }

  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer, extra = {}) => {
    res.writeHead(status, { 'content-type': type, ...securityHeaders(rpcUrl()), ...extra }).end(body)
  }
  const text = (res: ServerResponse, status: number, body: string, extra = {}) =>
    send(res, status, 'text/plain; charset=utf-8', `${body}\n`, { 'cache-control': 'no-store', ...extra })
  const json = (res: ServerResponse, status: number, body: unknown) =>
    send(res, status, 'application/json', JSON.stringify(body), { 'cache-control': 'no-store' })

  const cookieName = (req: IncomingMessage): string => sessionCookieName(req.socket.localPort ?? 0)
  const validSession = (req: IncomingMessage): boolean => {
    const id = cookieValue(req, cookieName(req))
    if (id === undefined) return false
    prune(sessions, now(), SESSION_TTL_MS, MAX_SESSIONS)
    return sessions.has(digest(id))
  }

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (!hostIsLoopback(req)) {
      text(res, 421, 'misdirected request: Wren answers loopback hosts only')
      return
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const method = req.method ?? 'GET'

    if (url.pathname === '/launch' && method === 'GET') {
      const code = url.searchParams.get('code') ?? ''
      prune(codes, now(), LAUNCH_CODE_TTL_MS, MAX_LAUNCH_CODES)
      const key = digest(code)
      if (code === '' || !codes.has(key)) {
        text(res, 403, 'This launch link was already used or has expired. Launch Wren again.')
        return
      }
      codes.delete(key)
      const id = secret()
      sessions.set(digest(id), now())
      prune(sessions, now(), SESSION_TTL_MS, MAX_SESSIONS)
      res
        .writeHead(303, {
          location: '/',
          'set-cookie': `${cookieName(req)}=${id}; HttpOnly; SameSite=Strict; Path=/`,
          'cache-control': 'no-store',
          ...securityHeaders(rpcUrl()),
        })
        .end()
      return
    }

    if (url.pathname === '/session' && method === 'GET') {
      // SameSite=Strict keeps the cookie off cross-site requests; refuse them explicitly too.
      if (req.headers['sec-fetch-site'] === 'cross-site' || !validSession(req)) {
        json(res, 401, { error: 'no session', launch: launchCommand(options.profile) })
        return
      }
      json(res, 200, { rpcUrl: rpcUrl(), token: options.token })
      return
    }

    if (url.pathname === '/launch-code' && method === 'POST') {
      const auth = req.headers.authorization
      const match = typeof auth === 'string' ? /^Bearer\s+(\S+)$/i.exec(auth) : null
      if (!match?.[1] || !tokenMatches(match[1], options.token)) {
        json(res, 401, { error: 'unauthorized' })
        return
      }
      req.resume()
      const code = mintLaunchCode()
      json(res, 200, { code, path: `/launch?code=${code}` })
      return
    }

    if (isAttachmentsPath(url.pathname)) {
      // the session cookie, and never from another site (an upload also names this origin)
      const site = req.headers['sec-fetch-site']
      const from = req.headers.origin
      const ownOrigin = `http://${req.headers.host}`
      if (
        !validSession(req) ||
        (site !== undefined && site !== 'same-origin' && site !== 'none') ||
        (from !== undefined && from !== ownOrigin) ||
        (method === 'POST' && site !== 'same-origin' && from !== ownOrigin)
      ) {
        json(res, 401, { error: 'no session', launch: launchCommand(options.profile) })
        return
      }
      proxyAttachments(req, res, { rpcUrl: rpcUrl(), token: options.token }, securityHeaders(rpcUrl()))
      return
    }

    const file = STATIC_FILES[url.pathname]
    if (file && (method === 'GET' || method === 'HEAD')) {
      ensureBuilt()
        .then(() => readFile(join(distDir, file.file)))
        .then(
          (body) => send(res, 200, file.type, method === 'HEAD' ? '' : body, { 'cache-control': 'no-cache' }),
          () => text(res, 503, 'The desktop bundle is missing: run `node desktop/build.ts`.'),
        )
      return
    }
    text(res, 404, 'not found')
  }

  return { handle, mintLaunchCode, launchPath: () => `/launch?code=${mintLaunchCode()}` }
}

export interface DesktopServer {
  readonly port: number
  /** http://127.0.0.1:port */
  readonly origin: string
  readonly handler: DesktopHandler
  /** A full one-time launch URL. */
  launchUrl(): string
  close(): Promise<void>
}

/** Run the shell on its own loopback port (0 = any free port). */
export async function startDesktopServer(
  options: DesktopHandlerOptions & { readonly port?: number },
): Promise<DesktopServer> {
  const handler = createDesktopHandler(options)
  const server: Server = createServer((req, res) => handler.handle(req, res))
  server.on('clientError', (_e, socket) => socket.destroy())
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, DESKTOP_HOST, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  const base = `http://${DESKTOP_HOST}:${port}`
  return {
    port,
    origin: base,
    handler,
    launchUrl: () => `${base}${handler.launchPath()}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
