/**
 * What is live about contacts and chats beside the lists: who types where (typing events),
 * contacts' presence (contacts.presence, then contact.presence events) and the disappearing
 * timers seen this session (conversations.setTimer answers, conversation.timerChanged events).
 * Kept apart from AppStore so that a typing hint re-renders only the views that show it.
 */
import type { EventName, EventPayload } from '../../../node/src/rpc/api.ts'
import { applyPresence, applyTyping, type PresenceMap, type TypingMap } from './presence.ts'

export interface LiveState {
  /** Contacts' presence by user id; null until loaded (the contacts' connection flags decide then). */
  readonly presence: PresenceMap | null
  /** Who types in which chat, by conversation id. */
  readonly typing: TypingMap
  /** Disappearing-messages timers (seconds) by conversation id, as far as this page has seen. */
  readonly timers: ReadonlyMap<string, number>
}

/** The part of the RPC client the live store uses. */
export interface LiveRpc {
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void
  call(method: 'contacts.presence'): Promise<{ presence: EventPayload<'contact.presence'>[] }>
  call(method: 'typing.set', params: { conversationId: string; typing: boolean }): Promise<unknown>
}

const empty: LiveState = { presence: null, typing: new Map(), timers: new Map() }

export class LiveStore {
  #state: LiveState = empty
  readonly #listeners = new Set<() => void>()
  readonly #unsubscribe: Array<() => void>
  readonly #rpc: LiveRpc

  constructor(rpc: LiveRpc) {
    this.#rpc = rpc
    this.#unsubscribe = [
      rpc.on('typing', (p) => this.#set({ typing: applyTyping(this.#state.typing, p) })),
      rpc.on('contact.presence', (p) => this.#set({ presence: applyPresence(this.#state.presence, p) })),
      rpc.on('conversation.timerChanged', (p) => this.noteTimer(p.conversationId, p.seconds)),
    ]
  }

  get state(): LiveState {
    return this.#state
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  #set(patch: Partial<LiveState>): void {
    this.#state = { ...this.#state, ...patch }
    for (const l of this.#listeners) l()
  }

  /** Read every contact's presence; a failure leaves it unknown (the connection flags decide). */
  async loadPresence(): Promise<void> {
    try {
      const { presence } = await this.#rpc.call('contacts.presence')
      let map: PresenceMap = new Map()
      for (const p of presence) map = applyPresence(map, p)
      this.#set({ presence: map })
    } catch {
      // presence stays unknown: the online dots follow contacts.list
    }
  }

  /** Tell the contact of a direct chat we type (or stopped); a failure only loses the hint. */
  setTyping(conversationId: string, typing: boolean): void {
    this.#rpc.call('typing.set', { conversationId, typing }).catch(() => {
      // typing hints are best-effort: nothing to show
    })
  }

  noteTimer(conversationId: string, seconds: number): void {
    this.#set({ timers: new Map(this.#state.timers).set(conversationId, seconds) })
  }

  /** Forget everything (the profile locked). */
  reset(): void {
    this.#set(empty)
  }

  close(): void {
    for (const u of this.#unsubscribe) u()
  }
}
