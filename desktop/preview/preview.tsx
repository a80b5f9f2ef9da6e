/** @jsxImportSource preact */
/**
 * Preview entry: the real App on the FakeDaemon. Query parameters:
 *   state=new|locked|ready (default ready), messages=N (first chat, default 240),
 *   step=ms (delivery simulation step, default 600), keychange=1,
 *   theme=light|dark.
 */
import { render } from 'preact'
import { App } from '../src/app.tsx'
import { AppStore } from '../src/logic/app-store.ts'
import { THEME_STORAGE_KEY } from '../src/logic/theme.ts'
import { FakeDaemon } from './fake-daemon.ts'

/** Messages in the first conversation unless ?messages= says otherwise. */
const DEFAULT_MESSAGES = 240
/** Delivery simulation step in ms unless ?step= says otherwise. */
const DEFAULT_STEP_MS = 600

const q = new URLSearchParams(location.search)
const state = q.get('state')
const theme = q.get('theme')
if (theme === 'light' || theme === 'dark') localStorage.setItem(THEME_STORAGE_KEY, theme)
const fake = new FakeDaemon({
  state: state === 'new' || state === 'locked' ? state : 'ready',
  messages: Number(q.get('messages') ?? DEFAULT_MESSAGES),
  stepMs: Number(q.get('step') ?? DEFAULT_STEP_MS),
  keyChange: q.get('keychange') === '1',
  now: Date.now(),
})
const store = new AppStore(fake)
;(globalThis as { wrenStore?: AppStore }).wrenStore = store
const root = document.getElementById('app')
if (root) render(<App store={store} />, root)
