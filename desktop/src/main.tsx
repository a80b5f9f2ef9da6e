/** @jsxImportSource preact */
/**
 * Browser entry. The page holds no secret: it asks /session (which needs the HttpOnly session
 * cookie set by the one-time launch URL) for the RPC URL and token, then connects.
 */
import { render } from 'preact'
import { App } from './app.tsx'
import { AppStore } from './logic/app-store.ts'
import { BrowserRpcClient } from './rpc-browser.ts'

interface SessionInfo {
  readonly rpcUrl: string
  readonly token: string
}

function isSession(v: unknown): v is SessionInfo {
  const s = v as SessionInfo
  return typeof s === 'object' && s !== null && typeof s.rpcUrl === 'string' && typeof s.token === 'string'
}

/** What the server's "no session" answer says to run; `npm start` when it does not say. */
function launchOf(body: unknown): string {
  const launch = (body as { launch?: unknown } | null)?.launch
  return typeof launch === 'string' && /^npm start( -- --profile [A-Za-z0-9_-]+)?$/.test(launch)
    ? launch
    : 'npm start'
}

function NoSession({ why, launch = 'npm start' }: { why: string; launch?: string }) {
  return (
    <main class="onboarding">
      <div class="card onboarding-card" role="alert">
        <div class="brand" aria-hidden="true">
          <span class="brand-mark">W</span>
        </div>
        <h1>Open Wren from its launcher</h1>
        <p class="muted">{why}</p>
        <p class="muted small">
          Run <code>{launch}</code> in the Wren folder to get a fresh one-time link.
        </p>
      </div>
    </main>
  )
}

async function boot(root: HTMLElement): Promise<void> {
  let session: unknown
  try {
    const res = await fetch('/session', { credentials: 'same-origin', cache: 'no-store' })
    if (res.status === 401) {
      const body = await res.json().catch(() => null)
      render(
        <NoSession
          why="This window has no session: launch links work once and expire quickly."
          launch={launchOf(body)}
        />,
        root,
      )
      return
    }
    if (!res.ok) throw new Error(`HTTP ${res.status}`)
    session = await res.json()
  } catch (error) {
    render(<NoSession why={`The Wren daemon did not answer (${String(error)}).`} />, root)
    return
  }
  if (!isSession(session)) {
    render(<NoSession why="The daemon sent an unexpected session answer." />, root)
    return
  }
  const store = new AppStore(new BrowserRpcClient(session.rpcUrl, session.token))
  render(<App store={store} />, root)
}

const root = document.getElementById('app')
if (root) void boot(root)
