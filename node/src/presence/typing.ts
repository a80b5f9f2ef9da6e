/**
 * Typing state, both ways. Outgoing: a "typing" frame per conversation at most every
 * TYPING_SEND_INTERVAL_MS while the user types, a "stopped" only after a "typing". Incoming: a
 * contact's "typing" is announced with its expiry and lapses by itself after TYPING_EXPIRE_MS
 * unless renewed (then "stopped" is announced); a "stopped" ends it at once.
 */
import { TYPING_EXPIRE_MS, TYPING_SEND_INTERVAL_MS } from './constants.ts'

export interface TypingEvent {
  readonly userId: string
  readonly typing: boolean
  /** When a typing: true lapses; null for false. */
  readonly expiresAt: number | null
}

export class TypingBook {
  readonly #now: () => number
  readonly #announce: (event: TypingEvent) => void
  /** userId → when we last sent "typing" to them (absent: stopped, or never). */
  readonly #sent = new Map<string, number>()
  /** userId → the timer that ends their "typing". */
  readonly #incoming = new Map<string, ReturnType<typeof setTimeout>>()

  constructor(now: () => number, announce: (event: TypingEvent) => void) {
    this.#now = now
    this.#announce = announce
  }

  /** Whether a frame should go out now for `typing` to `userId` (and note that it does). */
  shouldSend(userId: string, typing: boolean): boolean {
    const last = this.#sent.get(userId)
    if (!typing) {
      if (last === undefined) return false
      this.#sent.delete(userId)
      return true
    }
    const now = this.#now()
    if (last !== undefined && now - last < TYPING_SEND_INTERVAL_MS) return false
    this.#sent.set(userId, now)
    return true
  }

  /** A frame did not leave: the next call may try again at once. */
  unsent(userId: string, typing: boolean): void {
    if (typing) this.#sent.delete(userId)
  }

  received(userId: string, typing: boolean): void {
    const timer = this.#incoming.get(userId)
    if (timer !== undefined) clearTimeout(timer)
    if (!typing) {
      if (timer === undefined) return
      this.#incoming.delete(userId)
      this.#announce({ userId, typing: false, expiresAt: null })
      return
    }
    this.#incoming.set(
      userId,
      setTimeout(() => this.received(userId, false), TYPING_EXPIRE_MS),
    )
    this.#announce({ userId, typing: true, expiresAt: this.#now() + TYPING_EXPIRE_MS })
  }

  /** Forget everything (typing turned off, or stop); nothing more is announced. */
  clear(): void {
    for (const timer of this.#incoming.values()) clearTimeout(timer)
    this.#incoming.clear()
    this.#sent.clear()
  }
}
