/**
 * Groups for the preview harness's FakeDaemon: one group we own with messages from several
 * members, one pending invitation and one group we left. Answers groups.* and the group side of
 * conversations.list / messages.*, and simulates a member accepting an invitation. Like the
 * FakeDaemon it is canned data for screenshots, not a model of the daemon's group rules.
 */
import type {
  Contact,
  Conversation,
  EventName,
  EventPayload,
  GroupInvitation,
  GroupMember,
  GroupSummary,
  Message,
} from '../../node/src/rpc/api.ts'
import { BrowserRpcError } from '../src/rpc-browser.ts'

const MINUTE = 60_000

type Emit = <E extends EventName>(event: E, payload: EventPayload<E>) => void

interface FakeGroup {
  summary: GroupSummary
  members: GroupMember[]
  invitations: GroupInvitation[]
  messages: Message[]
  unread: number
}

function groupHex(seed: string): string {
  let out = ''
  let h = 0x811c9dc5
  while (out.length < 32) {
    for (const ch of seed) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0
    out += h.toString(16).padStart(8, '0')
  }
  return out.slice(0, 32)
}

function notFound(): never {
  throw new BrowserRpcError(-32003, 'no such group', { error: 'NOT_FOUND' })
}

export class FakeGroups {
  readonly #me: string
  readonly #contacts: () => readonly Contact[]
  readonly #emit: Emit
  readonly #stepMs: number
  readonly #groups = new Map<string, FakeGroup>()
  #nextId = 1
  #hash = 1

  constructor(opts: {
    me: string
    contacts: () => readonly Contact[]
    emit: Emit
    stepMs: number
    now: number
  }) {
    this.#me = opts.me
    this.#contacts = opts.contacts
    this.#emit = opts.emit
    this.#stepMs = opts.stepMs
    this.#seed(opts.now)
  }

  #name(userId: string): string {
    return this.#contacts().find((c) => c.userId === userId)?.displayName ?? userId
  }

  #member(userId: string, role: GroupMember['role'], joinedAt: number): GroupMember {
    return { userId, displayName: this.#name(userId), role, joinedAt }
  }

  #add(
    name: string,
    status: GroupSummary['status'],
    role: GroupSummary['role'],
    invitedBy: string | null,
    updatedAt: number,
  ): FakeGroup {
    const groupId = groupHex(name)
    const g: FakeGroup = {
      summary: {
        groupId,
        conversationId: `grp:${groupId}`,
        name,
        status,
        role,
        epoch: 0,
        memberCount: 0,
        invitedBy,
        stateHash: String(this.#hash++),
        updatedAt,
      },
      members: [],
      invitations: [],
      messages: [],
      unread: 0,
    }
    this.#groups.set(groupId, g)
    return g
  }

  #seed(now: number): void {
    const c = this.#contacts()
    const [bob, carol, dave, erin, , frank] = c.map((x) => x.userId)
    if (!bob || !carol || !dave || !erin || !frank) return
    const hikers = this.#add('Weekend hikers', 'member', 'owner', null, now - 12 * MINUTE)
    hikers.members = [
      this.#member(this.#me, 'owner', now - 9 * 86_400_000),
      this.#member(bob, 'admin', now - 9 * 86_400_000),
      this.#member(carol, 'member', now - 8 * 86_400_000),
      this.#member(dave, 'member', now - 3 * 86_400_000),
    ]
    hikers.invitations = [{ userId: frank, role: 'member', invitedBy: bob, invitedAt: now - 86_400_000 }]
    const lines: Array<[string, string, number]> = [
      [bob, 'Who is in for the ridge walk on Sunday?', 52],
      [carol, 'Me! Can we start a bit later, 9:30?', 50],
      [carol, 'The first train is really early.', 50],
      [dave, '9:30 works. I will bring the thermos ☕', 41],
      [this.#me, 'Great — 9:30 at the north car park then.', 22],
      [bob, 'I booked the hut for lunch, table for four.', 16],
      [this.#me, 'Perfect, see you all there!', 12],
    ]
    hikers.messages = lines.map(([sender, text, ago], i) =>
      this.#message(hikers, sender, text, now - ago * MINUTE, i),
    )
    const last = hikers.messages[hikers.messages.length - 1]
    if (last) Object.assign(last, { status: 'sent', receipts: 2 })
    hikers.unread = 1

    const book = this.#add('Book club', 'invited', null, erin, now - 20 * MINUTE)
    book.summary.memberCount = 5
    const flat = this.#add('Old flatmates', 'left', null, null, now - 6 * 86_400_000)
    flat.members = [this.#member(dave, 'owner', now - 60 * 86_400_000)]
    flat.messages = [
      this.#message(flat, dave, 'Deposit is back, sending everyone their share.', now - 6 * 86_400_000, 0),
    ]
    for (const g of this.#groups.values()) if (g.members.length > 0) g.summary.memberCount = g.members.length
  }

  #message(g: FakeGroup, sender: string, text: string, at: number, index: number): Message {
    const out = sender === this.#me
    return {
      id: `${g.summary.conversationId}:${index}`,
      conversationId: g.summary.conversationId,
      seq: index + 1,
      direction: out ? 'out' : 'in',
      sender,
      text,
      sentAt: at,
      receivedAt: out ? null : at + 300,
      status: out ? 'read' : 'read',
      receipts: out ? Math.max(g.members.length - 1, 0) : 0,
    }
  }

  #get(groupId: unknown): FakeGroup {
    return this.#groups.get(String(groupId)) ?? notFound()
  }

  #changed(g: FakeGroup, event: 'group.updated' | 'group.invited' = 'group.updated'): GroupSummary {
    g.summary = {
      ...g.summary,
      memberCount: g.members.length || g.summary.memberCount,
      stateHash: String(this.#hash++),
      updatedAt: Date.now(),
    }
    this.#emit(event, { group: { ...g.summary } })
    return { ...g.summary }
  }

  #refuse(why: string): never {
    throw new BrowserRpcError(-32009, why, { error: 'INVALID_INPUT' })
  }

  /** Group conversations for conversations.list (not the ones we are only invited to). */
  conversations(): Conversation[] {
    return [...this.#groups.values()]
      .filter((g) => g.summary.status !== 'invited' && g.summary.status !== 'declined')
      .map((g) => {
        const last = g.messages[g.messages.length - 1] ?? null
        return {
          id: g.summary.conversationId,
          kind: 'group' as const,
          peerUserId: null,
          groupId: g.summary.groupId,
          title: g.summary.name,
          lastMessage: last,
          unread: g.unread,
          updatedAt: last ? (last.receivedAt ?? last.sentAt) : g.summary.updatedAt,
        }
      })
  }

  messages(conversationId: string): Message[] {
    return this.#get(conversationId.slice(4)).messages
  }

  markRead(conversationId: string): void {
    this.#get(conversationId.slice(4)).unread = 0
  }

  send(conversationId: string, text: string): Message {
    const g = this.#get(conversationId.slice(4))
    if (g.summary.status !== 'member') this.#refuse('not a member of this group')
    const message: Message = {
      id: `grp-local-${this.#nextId++}`,
      conversationId,
      seq: (g.messages[g.messages.length - 1]?.seq ?? 0) + 1,
      direction: 'out',
      sender: this.#me,
      text,
      sentAt: Date.now(),
      receivedAt: null,
      status: 'queued',
      receipts: 0,
    }
    g.messages.push(message)
    const others = g.members.length - 1
    if (this.#stepMs > 0)
      for (let k = 0; k <= others + 1; k++)
        setTimeout(
          () => {
            message.status = k === 0 ? 'sent' : k > others ? 'read' : k === others ? 'delivered' : 'sent'
            message.receipts = Math.min(k, others)
            this.#emit('message.status', {
              conversationId,
              messageId: message.id,
              status: message.status,
              receipts: message.receipts,
            })
          },
          (k + 1) * this.#stepMs,
        )
    return { ...message }
  }

  /** Answer a groups.* call. */
  call(method: string, p: Record<string, unknown>): unknown {
    switch (method) {
      case 'groups.list':
        return { groups: [...this.#groups.values()].map((g) => ({ ...g.summary })) }
      case 'groups.members': {
        const g = this.#get(p.groupId)
        return { group: { ...g.summary }, members: [...g.members], invitations: [...g.invitations] }
      }
      case 'groups.create': {
        const g = this.#add(String(p.name), 'member', 'owner', null, Date.now())
        g.members = [this.#member(this.#me, 'owner', Date.now())]
        const invited = Array.isArray(p.members) ? p.members.map(String) : []
        g.invitations = invited.map((userId) => ({
          userId,
          role: 'member',
          invitedBy: this.#me,
          invitedAt: Date.now(),
        }))
        for (const [k, userId] of invited.entries()) this.#simulateJoin(g, userId, (k + 2) * this.#stepMs)
        return this.#changed(g)
      }
      case 'groups.accept': {
        const g = this.#get(p.groupId)
        g.summary = { ...g.summary, status: 'member', role: 'member' }
        const inviter = g.summary.invitedBy ?? this.#me
        g.members = [this.#member(inviter, 'owner', Date.now()), this.#member(this.#me, 'member', Date.now())]
        g.summary.memberCount = g.members.length
        return this.#changed(g)
      }
      case 'groups.decline': {
        const g = this.#get(p.groupId)
        this.#groups.delete(g.summary.groupId)
        return { ...g.summary, status: 'declined', role: null }
      }
      case 'groups.leave': {
        const g = this.#get(p.groupId)
        g.members = g.members.filter((m) => m.userId !== this.#me)
        g.summary = { ...g.summary, status: 'left', role: null }
        return this.#changed(g)
      }
      case 'groups.rename': {
        const g = this.#get(p.groupId)
        g.summary = { ...g.summary, name: String(p.name) }
        return this.#changed(g)
      }
      case 'groups.invite': {
        const g = this.#get(p.groupId)
        const userId = String(p.userId)
        if (g.members.some((m) => m.userId === userId)) this.#refuse('already a member')
        const role = p.role === 'admin' ? 'admin' : 'member'
        g.invitations.push({ userId, role, invitedBy: this.#me, invitedAt: Date.now() })
        this.#simulateJoin(g, userId, 3 * this.#stepMs)
        return this.#changed(g)
      }
      case 'groups.remove': {
        const g = this.#get(p.groupId)
        const userId = String(p.userId)
        g.members = g.members.filter((m) => m.userId !== userId)
        g.invitations = g.invitations.filter((i) => i.userId !== userId)
        g.summary = { ...g.summary, epoch: g.summary.epoch + 1 }
        return this.#changed(g)
      }
      case 'groups.setRole': {
        const g = this.#get(p.groupId)
        const role = p.role === 'admin' ? 'admin' : 'member'
        g.members = g.members.map((m) => (m.userId === p.userId ? { ...m, role } : m))
        return this.#changed(g)
      }
      case 'groups.receipts': {
        const g = this.#get(String(p.conversationId).slice(4))
        return {
          receipts: g.members
            .filter((m) => m.userId !== this.#me)
            .map((m) => ({ userId: m.userId, status: 'delivered' })),
        }
      }
    }
    return undefined
  }

  /** An invited contact accepts after a while (0 = never, like stepMs). */
  #simulateJoin(g: FakeGroup, userId: string, afterMs: number): void {
    if (this.#stepMs <= 0) return
    setTimeout(() => {
      const inv = g.invitations.find((i) => i.userId === userId)
      if (!inv || g.summary.status !== 'member') return
      g.invitations = g.invitations.filter((i) => i.userId !== userId)
      g.members.push(this.#member(userId, inv.role, Date.now()))
      this.#changed(g)
    }, afterMs)
  }
}
