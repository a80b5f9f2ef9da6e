/**
 * Typing state, both ways, per conversation (a direct chat or a group). Outgoing: a "typing"
 * frame (in a group, one to each member) per conversation at most every TYPING_SEND_INTERVAL_MS
 * while the user types, a "stopped" only after a "typing". Incoming: a member's "typing" in a
 * conversation is announced with its expiry and lapses by itself after TYPING_EXPIRE_MS unless
 * renewed (then "stopped" is announced); a "stopped" ends it at once.
 */
import { TYPING_EXPIRE_MS, TYPING_SEND_INTERVAL_MS } from './constants.ts'

export interface TypingEvent {
  readonly conversationId: string
  readonly userId: string
  readonly typing: boolean
  /** When a typing: true lapses; null for false. */
  readonly expiresAt: number | null
}

export class TypingBook {
  readonly #now: () => number
  readonly #announce: (event: TypingEvent) => void
  /** conversationId → when we last sent "typing" there (absent: stopped, or never). */
  readonly #sent = new Map<string, number>()
  /** conversationId → userId → the timer that ends their "typing" there. */
  readonly #incoming = new Map<string, Map<string, ReturnType<typeof setTimeout>>>()

  constructor(now: () => number, announce: (event: TypingEvent) => void) {
    this.#now = now
    this.#announce = announce
  }

  /** Whether a frame should go out now for `typing` in `conversationId` (and note that it does). */
  shouldSend(conversationId: string, typing: boolean): boolean {
    const last = this.#sent.get(conversationId)
    if (!typing) {
      if (last === undefined) return false
      this.#sent.delete(conversationId)
      return true
    }
    const now = this.#now()
    if (last !== undefined && now - last < TYPING_SEND_INTERVAL_MS) return false
    this.#sent.set(conversationId, now)
    return true
  }

  /** No frame left: the next call may try again at once. */
  unsent(conversationId: string, typing: boolean): void {
    if (typing) this.#sent.delete(conversationId)
  }

  received(conversationId: string, userId: string, typing: boolean): void {
    const typists = this.#incoming.get(conversationId)
    const timer = typists?.get(userId)
    if (timer !== undefined) clearTimeout(timer)
    if (!typing) {
      if (timer === undefined || typists === undefined) return
      typists.delete(userId)
      if (typists.size === 0) this.#incoming.delete(conversationId)
      this.#announce({ conversationId, userId, typing: false, expiresAt: null })
      return
    }
    const book = typists ?? new Map<string, ReturnType<typeof setTimeout>>()
    this.#incoming.set(conversationId, book)
    book.set(
      userId,
      setTimeout(() => this.received(conversationId, userId, false), TYPING_EXPIRE_MS),
    )
    this.#announce({ conversationId, userId, typing: true, expiresAt: this.#now() + TYPING_EXPIRE_MS })
  }

  /** `userId` stopped typing everywhere (its device went away). */
  stoppedEverywhere(userId: string): void {
    for (const conversationId of [...this.#incoming.keys()]) this.received(conversationId, userId, false)
  }

  /** Forget everything (typing turned off, or stop); nothing more is announced. */
  clear(): void {
    for (const typists of this.#incoming.values()) for (const timer of typists.values()) clearTimeout(timer)
    this.#incoming.clear()
    this.#sent.clear()
  }
}
