import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import {
  type DesktopServer,
  LAUNCH_CODE_TTL_MS,
  launchCommand,
  sessionCookieName,
  startDesktopServer,
} from '../server.ts'

const TOKEN = 'a'.repeat(64)
const RPC_URL = 'ws://127.0.0.1:45678/'
/** Bound on every request in this file, in ms. */
const REQUEST_TIMEOUT_MS = 5_000

interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

function get(
  server: DesktopServer,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (c) => {
          body += c
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      },
    )
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end()
  })
}

function sessionCookie(reply: Reply): string {
  const set = reply.headers['set-cookie']
  const line = Array.isArray(set) ? set[0] : set
  assert.ok(line, 'a cookie is set')
  return line.split(';')[0]!
}

describe('desktop server: launch code → session cookie → RPC credentials', () => {
  let dir: string
  let server: DesktopServer
  let clock = 1_000_000

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wren-desktop-'))
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>Wren</title>')
    await writeFile(join(dir, 'app.js'), 'export {}')
    await writeFile(join(dir, 'app.css'), 'body{}')
    server = await startDesktopServer({ token: TOKEN, rpcUrl: RPC_URL, distDir: dir, now: () => clock })
  })
  after(async () => {
    await server.close()
    await rm(dir, { recursive: true, force: true })
  })

  test('a launch code works once, sets an HttpOnly SameSite=Strict cookie and redirects to / without the code', async () => {
    const path = server.handler.launchPath()
    const first = await get(server, path)
    assert.equal(first.status, 303)
    assert.equal(first.headers.location, '/')
    const set = String(first.headers['set-cookie'])
    assert.match(set, new RegExp(`^${sessionCookieName(server.port)}=[A-Za-z0-9_-]{43};`))
    assert.match(set, /HttpOnly/)
    assert.match(set, /SameSite=Strict/)
    const again = await get(server, path)
    assert.equal(again.status, 403, 'a used code is refused')
    assert.equal(again.headers['set-cookie'], undefined)
  })

  test('/session returns the RPC URL and token only with a valid session cookie', async () => {
    assert.equal((await get(server, '/session')).status, 401)
    assert.equal(
      (await get(server, '/session', { headers: { cookie: `${sessionCookieName(server.port)}=forged` } }))
        .status,
      401,
    )
    const cookie = sessionCookie(await get(server, server.handler.launchPath()))
    const ok = await get(server, '/session', { headers: { cookie } })
    assert.equal(ok.status, 200)
    assert.deepEqual(JSON.parse(ok.body), { rpcUrl: RPC_URL, token: TOKEN })
    assert.equal(ok.headers['cache-control'], 'no-store')
    const cross = await get(server, '/session', { headers: { cookie, 'sec-fetch-site': 'cross-site' } })
    assert.equal(cross.status, 401, 'cross-site requests are refused even with the cookie')
  })

  test('/attachments is forwarded only for a session cookie and a fetch from this origin', async () => {
    assert.equal((await get(server, '/attachments/m1')).status, 401, 'no cookie')
    const cookie = sessionCookie(await get(server, server.handler.launchPath()))
    const refused: Array<[string, Record<string, string>]> = [
      ['GET', { cookie, 'sec-fetch-site': 'cross-site' }],
      ['GET', { cookie, 'sec-fetch-site': 'same-site' }],
      ['GET', { cookie, origin: 'http://evil.example' }],
      // an upload must say it comes from this page
      ['POST', { cookie }],
      ['POST', { cookie, 'sec-fetch-site': 'none' }],
    ]
    for (const [method, headers] of refused)
      assert.equal(
        (await get(server, '/attachments', { method, headers })).status,
        401,
        JSON.stringify(headers),
      )
    // admitted: forwarded to the daemon, which is not running at RPC_URL here
    const admitted = await get(server, '/attachments/m1', {
      headers: { cookie, 'sec-fetch-site': 'same-origin' },
    })
    assert.equal(admitted.status, 502)
    assert.equal(JSON.parse(admitted.body).error, 'DAEMON_UNREACHABLE')
    assert.match(String(admitted.headers['content-security-policy']), /img-src 'self' data:/)
  })

  test('an expired launch code is refused', async () => {
    const path = server.handler.launchPath()
    clock += LAUNCH_CODE_TTL_MS + 1
    assert.equal((await get(server, path)).status, 403)
  })

  test('POST /launch-code mints a code only for the bearer of the RPC token', async () => {
    assert.equal((await get(server, '/launch-code', { method: 'POST' })).status, 401)
    const wrong = await get(server, '/launch-code', {
      method: 'POST',
      headers: { authorization: `Bearer ${'b'.repeat(64)}` },
    })
    assert.equal(wrong.status, 401)
    const ok = await get(server, '/launch-code', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    })
    assert.equal(ok.status, 200)
    const { path } = JSON.parse(ok.body) as { path: string }
    assert.equal((await get(server, path)).status, 303)
  })

  test('requests naming a non-loopback Host are refused (DNS rebinding)', async () => {
    const r = await get(server, '/session', { headers: { host: 'evil.example:80' } })
    assert.equal(r.status, 421)
  })

  test('the page is served with a strict CSP that allows only the RPC origin for connections', async () => {
    const page = await get(server, '/')
    assert.equal(page.status, 200)
    assert.match(page.headers['content-type'] as string, /text\/html/)
    const csp = page.headers['content-security-policy'] as string
    assert.match(csp, /default-src 'none'/)
    assert.match(csp, /script-src 'self'/)
    assert.match(csp, /connect-src 'self' ws:\/\/127\.0\.0\.1:45678/)
    assert.match(csp, /frame-ancestors 'none'/)
    assert.equal((await get(server, '/app.js')).status, 200)
    assert.equal((await get(server, '/nope')).status, 404)
  })
})

/** A browser's cookie jar for 127.0.0.1: cookies are kept per host and name, whatever the port. */
class HostCookieJar {
  readonly #cookies = new Map<string, string>()
  take(reply: Reply): void {
    const set = reply.headers['set-cookie']
    for (const line of Array.isArray(set) ? set : set ? [set] : []) {
      const pair = line.split(';')[0]!
      this.#cookies.set(pair.slice(0, pair.indexOf('=')), pair)
    }
  }
  header(): string {
    return [...this.#cookies.values()].join('; ')
  }
}

describe('desktop server: two profiles in one browser', () => {
  let dir: string
  let alice: DesktopServer
  let bob: DesktopServer

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wren-desktop-'))
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>Wren</title>')
    alice = await startDesktopServer({ token: TOKEN, rpcUrl: RPC_URL, distDir: dir, profile: 'alice' })
    bob = await startDesktopServer({ token: 'b'.repeat(64), rpcUrl: RPC_URL, distDir: dir, profile: 'bob' })
  })
  after(async () => {
    await Promise.all([alice.close(), bob.close()])
    await rm(dir, { recursive: true, force: true })
  })

  test('launching the second profile keeps the first one’s session (cookies are named per port)', async () => {
    const jar = new HostCookieJar()
    jar.take(await get(alice, alice.handler.launchPath()))
    jar.take(await get(bob, bob.handler.launchPath()))
    const a = await get(alice, '/session', { headers: { cookie: jar.header() } })
    const b = await get(bob, '/session', { headers: { cookie: jar.header() } })
    assert.equal(a.status, 200, 'alice’s window still has its session')
    assert.equal(b.status, 200)
    assert.equal(JSON.parse(a.body).token, TOKEN)
    assert.equal(JSON.parse(b.body).token, 'b'.repeat(64))
  })

  test('"no session" names the command that opens this profile, and that command exists', async () => {
    const none = await get(bob, '/session')
    assert.equal(none.status, 401)
    const { launch } = JSON.parse(none.body) as { launch: string }
    assert.equal(launch, 'npm start -- --profile bob')
    assert.equal(launchCommand(undefined), 'npm start')
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'))
    assert.equal(pkg.scripts.start, 'node desktop/launch.ts', '`npm start` runs the launcher')
    const launcher = await readFile(new URL('../launch.ts', import.meta.url), 'utf8')
    assert.match(launcher, /profile: \{ type: 'string'/, 'the launcher takes --profile')
  })
})
