/**
 * The room's strict lifecycle (the secure-CLI specification's state machine):
 *
 *   searching → found → key-setup → connected → destroyed
 *
 * and any state → destroyed. Nothing else: no way back, and no state reached twice. A transition
 * not in the table is a programming error (InvalidStateError), never silently ignored.
 */
import { InvalidStateError } from '../errors.ts'

export type RoomState = 'searching' | 'found' | 'key-setup' | 'connected' | 'destroyed'

const NEXT: Readonly<Record<RoomState, readonly RoomState[]>> = {
  searching: ['found', 'destroyed'],
  found: ['key-setup', 'destroyed'],
  'key-setup': ['connected', 'destroyed'],
  connected: ['destroyed'],
  destroyed: [],
}

export class RoomMachine {
  #state: RoomState
  readonly #onChange: ((from: RoomState, to: RoomState) => void) | undefined

  constructor(initial: RoomState = 'searching', onChange?: (from: RoomState, to: RoomState) => void) {
    this.#state = initial
    this.#onChange = onChange
  }

  get state(): RoomState {
    return this.#state
  }

  canMove(to: RoomState): boolean {
    return NEXT[this.#state].includes(to)
  }

  move(to: RoomState): void {
    if (!this.canMove(to)) throw new InvalidStateError(`room cannot go from ${this.#state} to ${to}`)
    const from = this.#state
    this.#state = to
    this.#onChange?.(from, to)
  }
}
