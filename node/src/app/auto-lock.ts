/**
 * Auto-lock: the daemon locks itself (the ordinary lock path, NodeLifecycle.lock) after
 * `autoLockMinutes` without client activity, a setting of the profile (profile/lock-policy.ts,
 * off by default).
 *
 * Activity, precisely: a JSON-RPC request for a known method arriving on an authenticated
 * connection, whatever its params or outcome — except the passive methods below, which clients
 * call on timers rather than because a person did something (the desktop polls node.status and,
 * while its window shows, contacts.list; every client subscribes again after a reconnect).
 * Events pushed to clients never count, nor do connections opening or closing.
 *
 * The clock is injected (now + one-shot timers), so tests drive it without waiting. One timer
 * runs while armed: when it fires it checks the last activity and either locks or sleeps again
 * for the rest of the idle window, so activity itself costs a timestamp and no timer work.
 */

/** Methods that are not activity: they are polled or repeated by clients on their own. */
export const AUTO_LOCK_PASSIVE_METHODS: ReadonlySet<string> = new Set([
  'node.status',
  'node.doctor',
  'contacts.list',
  'events.subscribe',
])

const MINUTE_MS = 60_000

/** The clock auto-lock runs on: the real one in the daemon, a fake one in tests. */
export interface AutoLockClock {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export const SYSTEM_CLOCK: AutoLockClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

export interface AutoLockInit {
  readonly clock: AutoLockClock
  /** Lock the profile (the same path as identity.lock). */
  readonly lock: () => Promise<void>
  readonly log: {
    info(msg: string, fields?: Record<string, unknown>): void
    warn(msg: string, fields?: Record<string, unknown>): void
  }
}

export class AutoLock {
  readonly #init: AutoLockInit
  #minutes: number | null = null
  #armed = false
  #lastActivity = 0
  #timer: unknown = null

  constructor(init: AutoLockInit) {
    this.#init = init
  }

  /** The profile unlocked: count idle time from now with this setting (null: off). */
  arm(minutes: number | null): void {
    this.#armed = true
    this.#minutes = minutes
    this.#lastActivity = this.#init.clock.now()
    this.#schedule()
  }

  /** The profile locked or the daemon stops: no timer runs. */
  disarm(): void {
    this.#armed = false
    this.#clear()
  }

  /** The setting changed while unlocked; idle time counts from the last activity. */
  setMinutes(minutes: number | null): void {
    this.#minutes = minutes
    if (this.#armed) this.#schedule()
  }

  /** A client called `method`. */
  activity(method: string): void {
    if (AUTO_LOCK_PASSIVE_METHODS.has(method)) return
    this.#lastActivity = this.#init.clock.now()
  }

  get armed(): boolean {
    return this.#armed && this.#minutes !== null
  }

  #clear(): void {
    if (this.#timer !== null) this.#init.clock.clearTimeout(this.#timer)
    this.#timer = null
  }

  #schedule(): void {
    this.#clear()
    if (!this.#armed || this.#minutes === null) return
    const due = this.#lastActivity + this.#minutes * MINUTE_MS
    const wait = Math.max(0, due - this.#init.clock.now())
    this.#timer = this.#init.clock.setTimeout(() => this.#fire(), wait)
  }

  #fire(): void {
    this.#timer = null
    if (!this.#armed || this.#minutes === null) return
    const idleMs = this.#init.clock.now() - this.#lastActivity
    if (idleMs < this.#minutes * MINUTE_MS) {
      this.#schedule()
      return
    }
    this.#armed = false
    this.#init.log.info('auto-lock: no client activity', { minutes: this.#minutes })
    this.#init
      .lock()
      .catch((error: unknown) => this.#init.log.warn('auto-lock failed', { error: (error as Error)?.name }))
  }
}
