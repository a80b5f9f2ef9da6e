/**
 * Presence of contacts as this daemon sees it: a contact is online while we hold a live
 * connection to its device AND it told us (a sealed PRESENCE frame on that connection) that it
 * shares its presence; lastSeen is when that last ended. In memory only: after a restart a
 * contact's lastSeen is unknown until it has been online once.
 */

export interface PresenceState {
  readonly userId: string
  readonly online: boolean
  readonly lastSeen: number | null
}

export class PresenceBook {
  readonly #now: () => number
  readonly #announce: (state: PresenceState) => void
  /** Contacts whose device is connected now. */
  readonly #connected = new Set<string>()
  /** Contacts that said (on the current connection) that they share presence. */
  readonly #shared = new Set<string>()
  readonly #lastSeen = new Map<string, number>()

  constructor(now: () => number, announce: (state: PresenceState) => void) {
    this.#now = now
    this.#announce = announce
  }

  of(userId: string): PresenceState {
    return {
      userId,
      online: this.#isOnline(userId),
      lastSeen: this.#isOnline(userId) ? this.#now() : (this.#lastSeen.get(userId) ?? null),
    }
  }

  connected(userId: string): void {
    this.#change(userId, () => this.#connected.add(userId))
  }

  disconnected(userId: string): void {
    this.#change(userId, () => {
      this.#connected.delete(userId)
      // a new connection starts without the contact's word: it says it again
      this.#shared.delete(userId)
    })
  }

  /** The contact said it shares (true) or hides (false) its presence. */
  shared(userId: string, on: boolean): void {
    this.#change(userId, () => (on ? this.#shared.add(userId) : this.#shared.delete(userId)))
  }

  #isOnline(userId: string): boolean {
    return this.#connected.has(userId) && this.#shared.has(userId)
  }

  #change(userId: string, apply: () => void): void {
    const before = this.#isOnline(userId)
    apply()
    const after = this.#isOnline(userId)
    if (before === after) return
    if (!after) this.#lastSeen.set(userId, this.#now())
    this.#announce(this.of(userId))
  }
}
