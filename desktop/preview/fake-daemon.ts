/**
 * An in-browser stand-in for the daemon's RPC with canned data, for the preview harness
 * (screenshots and the UI benchmark before a real daemon is wired in). It implements the same
 * WrenRpc interface as the real client and answers with values shaped by the API types; it
 * simulates delivery (queued → sent → stored → delivered → read) and a reply from the peer.
 * It is not a test double for the daemon: end-to-end tests use real daemons.
 */
import QRCode from 'qrcode'
import type {
  Contact,
  Conversation,
  EventName,
  EventPayload,
  Identity,
  Message,
  MethodName,
  Params,
  Result,
} from '../../node/src/rpc/api.ts'
import type { DaemonLink } from '../src/logic/connection.ts'
import { BrowserRpcError, type ParamsArg, type WrenRpc } from '../src/rpc-browser.ts'
import { ACTIONS_CONTACT, fakeAttachment, withActionShowcase } from './fake-actions.ts'
import { FakeGroups } from './fake-groups.ts'

export interface FakeOptions {
  /** 'new': no identity; 'locked': identity, locked; 'ready': unlocked. */
  readonly state: 'new' | 'locked' | 'ready'
  /** Messages in the first conversation (the benchmark uses 10,000). */
  readonly messages: number
  /** Delay of each simulated delivery step, in ms (0 = no simulation). */
  readonly stepMs: number
  /** Whether one contact starts with an unaccepted key change. */
  readonly keyChange: boolean
  /** "now" for canned timestamps. */
  readonly now: number
}

const MINUTE = 60_000
const ME = 'wuq5hx3k2m7ya4bwz6tdc2nvfe3i'

function uid(seed: string): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567'
  let h = 2166136261
  let out = 'wu'
  for (let i = 0; i < 26; i++) {
    h ^= seed.charCodeAt(i % seed.length) + i
    h = Math.imul(h, 16777619) >>> 0
    out += alphabet[h % 32]
  }
  return out
}

function hex(seed: string): string {
  let out = ''
  let h = 0x9e3779b9
  while (out.length < 64) {
    for (const ch of seed) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0
    out += h.toString(16).padStart(8, '0')
  }
  return out.slice(0, 64)
}

function digits(seed: string, n: number): string {
  let out = ''
  let h = 7
  while (out.length < n) {
    for (const ch of seed) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0
    out += String(h % 100000).padStart(5, '0')
  }
  return out.slice(0, n)
}

const LINES = [
  'Hey! Are we still on for Saturday?',
  'Yes — 10 am at the station.',
  'Perfect. I will bring the map and some snacks 🥪',
  'Did you see the forecast? Looks like rain in the afternoon.',
  'We can take the shorter loop then.',
  'Sounds good to me.',
  'Also: I finally set up Wren on my laptop. The safety number matches what you read to me.',
  'Great, I marked you as verified too ✅',
  'Can you send me the address of the café afterwards?',
  'Sure, it is on Rue des Lilas 12. They have the best cinnamon rolls.\nOpen until 6.',
  'ok',
  'See you then!',
]

/** A made-up relay address for the preview's network settings. */
const RELAY = '/dns4/relay.wren.example/tcp/443/wss/p2p/12D3KooWRelayPreview'

export class FakeDaemon implements WrenRpc {
  readonly #opts: FakeOptions
  readonly #handlers = new Map<EventName, Set<(p: unknown) => void>>()
  #hasIdentity: boolean
  #unlocked: boolean
  #identity: Identity | null = null
  #network = { bootstrap: [] as string[], relays: [RELAY] }

  #settings() {
    return {
      displayName: this.#identity?.displayName ?? '',
      bootstrap: [...this.#network.bootstrap],
      relays: [...this.#network.relays],
      appliedBootstrap: [],
      appliedRelays: [RELAY],
    }
  }
  #contacts: Contact[] = []
  readonly #messages = new Map<string, Message[]>()
  readonly #unread = new Map<string, number>()
  readonly #groups: FakeGroups
  #nextId = 1

  constructor(opts: FakeOptions) {
    this.#opts = opts
    this.#hasIdentity = opts.state !== 'new'
    this.#unlocked = opts.state === 'ready'
    this.#seed()
    this.#groups = new FakeGroups({
      me: ME,
      contacts: () => this.#contacts,
      emit: (event, payload) => this.#emit(event, payload),
      stepMs: opts.stepMs,
      now: opts.now,
    })
  }

  #seed(): void {
    const now = this.#opts.now
    const people: Array<[string, boolean, boolean]> = [
      ['Bob Marchetti', true, false],
      ['Carol Nguyen', false, this.#opts.keyChange],
      ['Dave Okafor', false, false],
      ['Erin Lindqvist', true, false],
      ['Family', false, false],
      ['Frank Moreau', false, false],
    ]
    this.#contacts = people.map(([name, verified, keyChanged], i) => ({
      userId: uid(name),
      displayName: name,
      identityKey: hex(name),
      verified,
      keyChanged,
      // the first three contacts are connected right now in the preview
      online: i < 3,
      addedAt: now - (30 - i) * 86_400_000,
    }))
    this.#contacts.forEach((c, i) => {
      const count = i === 0 ? this.#opts.messages : [12, 6, 3, 9, 0][i - 1]!
      const convId = `dm:${c.userId}`
      const list: Message[] = []
      const span = i === 0 ? Math.max(count, 1) * 7 * MINUTE : (i * 3 + 1) * 86_400_000
      for (let s = 0; s < count; s++) {
        const direction = (s * 7 + i) % 3 === 0 ? 'out' : 'in'
        const at =
          now - (i === 0 ? 4 * MINUTE : i * 5 * 3_600_000) - Math.round(((count - 1 - s) / count) * span)
        list.push({
          id: `${convId}:${s}`,
          conversationId: convId,
          seq: s + 1,
          direction,
          sender: direction === 'out' ? ME : c.userId,
          text: LINES[(s + i) % LINES.length]!,
          sentAt: at,
          receivedAt: direction === 'in' ? at + 400 : null,
          status: direction === 'in' ? 'read' : s === count - 1 ? 'delivered' : 'read',
          receipts: direction === 'out' ? 2 : 0,
        })
      }
      this.#messages.set(
        convId,
        c.displayName === ACTIONS_CONTACT ? withActionShowcase(list, ME, c.userId, now) : list,
      )
      this.#unread.set(convId, i === 0 ? Math.min(3, count) : i === 2 ? 2 : 0)
      if (i === 0 && count >= 3)
        for (const m of list.slice(-3))
          Object.assign(m, { direction: 'in', sender: c.userId, status: 'read', receivedAt: m.sentAt })
    })
  }

  async #makeIdentity(displayName: string): Promise<Identity> {
    const card = `wren:card:0:${btoa(JSON.stringify({ ik: hex(displayName), uid: ME, name: displayName, peer: '12D3KooWPreview' })).replace(/=+$/, '')}`
    return {
      userId: ME,
      displayName,
      identityKey: hex(displayName),
      peerId: '12D3KooWGzh7P3LrX6uVaQ8jYw1bTqF4kNcE2mRd5sHvJx9pL',
      card,
      cardQrSvg: await QRCode.toString(card, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }),
    }
  }

  #conversations(): Conversation[] {
    return this.#contacts
      .map((c): Conversation => {
        const id = `dm:${c.userId}`
        const list = this.#messages.get(id) ?? []
        const last = list[list.length - 1] ?? null
        return {
          id,
          kind: 'direct' as const,
          peerUserId: c.userId,
          groupId: null,
          title: c.displayName,
          lastMessage: last,
          unread: this.#unread.get(id) ?? 0,
          updatedAt: last ? (last.receivedAt ?? last.sentAt) : c.addedAt,
        }
      })
      .filter((c) => c.lastMessage !== null)
      .concat(this.#groups.conversations())
  }

  #emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    for (const h of this.#handlers.get(event) ?? []) h(payload)
  }

  #locked(): never {
    throw new BrowserRpcError(-32001, 'profile is locked', { error: 'LOCKED' })
  }

  #contact(userId: string): Contact {
    const c = this.#contacts.find((x) => x.userId === userId)
    if (!c) throw new BrowserRpcError(-32003, 'no such contact', { error: 'NOT_FOUND' })
    return c
  }

  async call<M extends MethodName>(method: M, ...[params]: ParamsArg<M>): Promise<Result<M>> {
    const p = (params ?? {}) as Record<string, unknown>
    const r = await this.#call(method, p as Params<M>)
    return r as Result<M>
  }

  async #call(method: MethodName, p: Record<string, unknown>): Promise<unknown> {
    await Promise.resolve()
    if (method === 'node.status')
      return {
        version: '0.1.0-preview',
        hasIdentity: this.#hasIdentity,
        unlocked: this.#unlocked,
        userId: this.#unlocked ? ME : null,
        peerId: this.#unlocked ? '12D3KooWGzh7P3LrX6uVaQ8jYw1bTqF4kNcE2mRd5sHvJx9pL' : null,
        listenAddrs: [],
        connections: 7,
        relays: 3,
        mailboxes: 3,
        bundlePublished: true,
        uptimeMs: 1000,
      }
    if (method === 'events.subscribe') return { subscribed: [...this.#handlers.keys()] }
    if (method === 'identity.create') {
      this.#hasIdentity = true
      this.#unlocked = true
      this.#identity = await this.#makeIdentity(String(p.displayName))
      return this.#identity
    }
    if (method === 'identity.unlock') {
      if (p.passphrase === 'wrong passphrase')
        throw new BrowserRpcError(-32005, 'wrong passphrase', { error: 'WRONG_PASSPHRASE' })
      this.#unlocked = true
      this.#identity ??= await this.#makeIdentity('Alice Kowalski')
      return this.#identity
    }
    if (!this.#unlocked) this.#locked()
    if (method.startsWith('groups.')) return this.#groups.call(method, p)
    const conversation = typeof p.conversationId === 'string' ? p.conversationId : ''
    const group = conversation.startsWith('grp:')
    switch (method) {
      case 'identity.get':
        this.#identity ??= await this.#makeIdentity('Alice Kowalski')
        return this.#identity
      case 'contacts.list':
        return { contacts: this.#contacts }
      case 'conversations.list':
        return { conversations: this.#conversations() }
      case 'contacts.add': {
        const card = String(p.card)
        const m = /^wren:card:0:([A-Za-z0-9_-]+)$/.exec(card.trim())
        if (!m) throw new BrowserRpcError(-32009, 'not a Wren contact card', { error: 'INVALID_INPUT' })
        const body = JSON.parse(atob(m[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as {
          uid: string
          name: string
          ik: string
        }
        const c: Contact = {
          userId: body.uid,
          displayName: typeof p.name === 'string' ? p.name : body.name,
          identityKey: body.ik,
          verified: false,
          keyChanged: false,
          online: false,
          addedAt: Date.now(),
        }
        this.#contacts.push(c)
        return c
      }
      case 'contacts.safetyNumber': {
        const c = this.#contact(String(p.userId))
        const sn = digits([ME, c.userId].sort().join(''), 60)
        return {
          safetyNumber: sn,
          qrPayload: btoa(sn),
          qrSvg: await QRCode.toString(sn, { type: 'svg', margin: 2 }),
        }
      }
      case 'contacts.verify': {
        const c = this.#contact(String(p.userId))
        if (p.compared !== true && p.safetyNumber !== digits([ME, c.userId].sort().join(''), 60))
          throw new BrowserRpcError(-32007, 'the safety number does not match', {
            error: 'SAFETY_NUMBER_MISMATCH',
          })
        c.verified = true
        return { ...c }
      }
      case 'contacts.acceptKeyChange': {
        const c = this.#contact(String(p.userId))
        c.keyChanged = false
        c.verified = false
        return { ...c }
      }
      case 'messages.list': {
        const list = group ? this.#groups.messages(conversation) : (this.#messages.get(conversation) ?? [])
        const before = typeof p.before === 'number' ? p.before : Number.POSITIVE_INFINITY
        const limit = typeof p.limit === 'number' ? p.limit : 50
        const older = list.filter((m) => m.seq < before)
        const page = older.slice(-limit)
        return { messages: page, hasMore: older.length > page.length }
      }
      case 'attachments.get': {
        const m = [...this.#messages.values()].flat().find((x) => x.id === p.messageId)
        const a = m ? fakeAttachment(m) : null
        if (!a) throw new BrowserRpcError(-32003, 'no such file', { error: 'NOT_FOUND' })
        return a
      }
      case 'messages.markRead':
        if (group) this.#groups.markRead(conversation)
        else this.#unread.set(conversation, 0)
        return { updated: 1 }
      case 'messages.send':
        return {
          message: group
            ? this.#groups.send(conversation, String(p.text))
            : this.#send(conversation, String(p.text)),
        }
      case 'settings.get':
        return this.#settings()
      case 'settings.set': {
        const bad = [...((p.bootstrap as string[]) ?? []), ...((p.relays as string[]) ?? [])].find(
          (a) => !/\/p2p\/\w+$/.test(a),
        )
        if (bad !== undefined)
          throw new BrowserRpcError(-32602, `${bad} must end in /p2p/<peer id>`, { error: 'INVALID_INPUT' })
        if (Array.isArray(p.bootstrap)) this.#network.bootstrap = [...(p.bootstrap as string[])]
        if (Array.isArray(p.relays)) this.#network.relays = [...(p.relays as string[])]
        if (typeof p.displayName === 'string') this.#identity = await this.#makeIdentity(p.displayName.trim())
        return this.#settings()
      }
    }
    throw new BrowserRpcError(-32008, `${method} is not in the preview`, { error: 'NOT_IMPLEMENTED' })
  }

  #send(conversationId: string, text: string): Message {
    const peer = conversationId.slice(3)
    const contact = this.#contact(peer)
    if (contact.keyChanged)
      throw new BrowserRpcError(-32004, 'contact key changed', { error: 'KEY_CHANGED_UNACCEPTED' })
    const list = this.#messages.get(conversationId) ?? []
    this.#messages.set(conversationId, list)
    const seq = (list[list.length - 1]?.seq ?? 0) + 1
    const message: Message = {
      id: `local-${this.#nextId++}`,
      conversationId,
      seq,
      direction: 'out',
      sender: ME,
      text,
      sentAt: Date.now(),
      receivedAt: null,
      status: 'queued',
      receipts: 0,
    }
    list.push(message)
    const step = this.#opts.stepMs
    if (step > 0) {
      const advance = (status: Message['status'], receipts: number, at: number) =>
        setTimeout(() => {
          message.status = status
          message.receipts = receipts
          this.#emit('message.status', { conversationId, messageId: message.id, status, receipts })
        }, at)
      advance('sent', 0, step)
      advance('stored', 2, 2 * step)
      advance('delivered', 2, 4 * step)
      advance('read', 2, 6 * step)
      setTimeout(() => {
        const reply: Message = {
          id: `reply-${this.#nextId++}`,
          conversationId,
          seq: seq + 1,
          direction: 'in',
          sender: peer,
          text: 'Got it, thanks!',
          sentAt: Date.now(),
          receivedAt: Date.now(),
          status: 'read',
          receipts: 0,
        }
        list.push(reply)
        this.#emit('message.received', { message: reply })
      }, 7 * step)
    }
    return { ...message }
  }

  on<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void): () => void {
    let set = this.#handlers.get(event)
    if (!set) {
      set = new Set()
      this.#handlers.set(event, set)
    }
    set.add(handler as (p: unknown) => void)
    return () => set.delete(handler as (p: unknown) => void)
  }

  onLink(handler: (link: DaemonLink) => void): () => void {
    queueMicrotask(() => handler('open'))
    return () => {}
  }

  close(): void {}
}
