/**
 * Application state outside the views: which screen, the identity, contacts, conversations and
 * network status, kept current from daemon events. Views subscribe and re-render; every action
 * goes through the daemon's RPC and returns its error (views show it where it happened).
 */
import type {
  Contact,
  Conversation,
  EventPayload,
  GroupSummary,
  Identity,
  Message,
  Result,
} from '../../../node/src/rpc/api.ts'
import type { WrenRpc } from '../rpc-browser.ts'
import type { DaemonLink, NodeStatus } from './connection.ts'
import {
  applyMessage,
  markConversationRead,
  sameContacts,
  withContactConversations,
} from './conversations.ts'
import { sortGroups, upsertGroup } from './groups.ts'
import { LiveStore } from './live-store.ts'
import { applyStatus } from './message-status.ts'
import { describeError } from './rpc-errors.ts'

/** How often node.status is polled for the connection indicator, in ms. */
export const STATUS_POLL_MS = 5_000
/** How often contacts.list is re-read while the window is visible, in ms: keeps the online dots current. */
export const CONTACTS_POLL_MS = 15_000

export type Phase = 'connecting' | 'create' | 'unlock' | 'ready'

export interface AppState {
  readonly link: DaemonLink
  readonly phase: Phase
  readonly status: NodeStatus | null
  readonly identity: Identity | null
  readonly contacts: readonly Contact[]
  readonly conversations: readonly Conversation[]
  /** Groups we are in, invited to, or left (groups.list, kept current from group events). */
  readonly groups: readonly GroupSummary[]
  readonly openId: string | null
  /** Failure loading lists, shown in the sidebar. */
  readonly loadError: string | null
  /** Profile pictures as data URLs by user id (ours and contacts'); absent: the identicon shows. */
  readonly pictures: ReadonlyMap<string, string>
  /** A message to show when its chat opens (a search result). */
  readonly jump: { readonly conversationId: string; readonly messageId: string; readonly seq: number } | null
}

export type MessageListener = (message: Message) => void
export type StatusListener = (payload: EventPayload<'message.status'>) => void
export type WaitingListener = (payload: EventPayload<'conversation.waiting'>) => void
export type UpdateListener = (payload: EventPayload<'message.updated'>) => void

const initialState: AppState = {
  link: 'connecting',
  phase: 'connecting',
  status: null,
  identity: null,
  contacts: [],
  conversations: [],
  groups: [],
  openId: null,
  loadError: null,
  pictures: new Map(),
  jump: null,
}

export class AppStore {
  readonly rpc: WrenRpc
  /** Typing, presence and timers (views that show them subscribe to it). */
  readonly live: LiveStore
  #state: AppState = initialState
  readonly #listeners = new Set<() => void>()
  readonly #messageListeners = new Set<MessageListener>()
  readonly #statusListeners = new Set<StatusListener>()
  readonly #waitingListeners = new Set<WaitingListener>()
  readonly #updateListeners = new Set<UpdateListener>()
  readonly #unsubscribe: Array<() => void> = []
  #poll: ReturnType<typeof setInterval> | null = null
  #contactsPoll: ReturnType<typeof setInterval> | null = null
  /** Called for each incoming message (desktop notifications); set by the view. */
  onIncoming: ((message: Message, conversation: Conversation | undefined) => void) | null = null
  /** Whether the window is visible (unread counting for the open chat). */
  visible: () => boolean = () => true

  constructor(rpc: WrenRpc) {
    this.rpc = rpc
    this.live = new LiveStore(rpc)
    this.#unsubscribe.push(
      rpc.on('message.received', ({ message }) => this.#onMessage(message)),
      rpc.on('message.status', (p) => this.#onStatus(p)),
      rpc.on('message.updated', (p) => this.noteUpdated(p)),
      rpc.on('conversation.waiting', (p) => {
        for (const l of this.#waitingListeners) l(p)
      }),
      rpc.on('contact.keyChanged', ({ userId }) => {
        this.#set({
          contacts: this.#state.contacts.map((c) => (c.userId === userId ? { ...c, keyChanged: true } : c)),
        })
        void this.loadContacts()
      }),
      rpc.on('contact.picture', ({ userId }) => void this.#loadPicture(userId)),
      rpc.on('group.invited', ({ group }) => this.#onGroup(group)),
      rpc.on('group.updated', ({ group }) => this.#onGroup(group)),
      rpc.onLink((link) => {
        this.#set({ link })
        if (link === 'open') void this.refreshStatus(true)
      }),
    )
    this.#poll = setInterval(() => {
      if (this.#state.link === 'open') void this.refreshStatus(false)
    }, STATUS_POLL_MS)
    this.#contactsPoll = setInterval(() => {
      if (this.#state.link === 'open' && this.#state.phase === 'ready' && this.visible())
        void this.#pollContacts()
    }, CONTACTS_POLL_MS)
  }

  get state(): AppState {
    return this.#state
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  onMessage(listener: MessageListener): () => void {
    this.#messageListeners.add(listener)
    return () => this.#messageListeners.delete(listener)
  }

  /** Why a direct conversation's undelivered messages wait changed. */
  onWaiting(listener: WaitingListener): () => void {
    this.#waitingListeners.add(listener)
    return () => this.#waitingListeners.delete(listener)
  }

  /** A message was edited, deleted, reacted to or (un)pinned, here or by the contact. */
  onMessageUpdated(listener: UpdateListener): () => void {
    this.#updateListeners.add(listener)
    return () => this.#updateListeners.delete(listener)
  }

  /** An update (from the event, or an action's answer): the chat list's preview and open chats follow. */
  noteUpdated(p: EventPayload<'message.updated'>): void {
    const conversations = this.#state.conversations.map((c) =>
      c.id === p.conversationId && c.lastMessage?.id === p.messageId ? { ...c, lastMessage: p.message } : c,
    )
    this.#set({ conversations })
    for (const l of this.#updateListeners) l(p)
  }

  onMessageStatus(listener: StatusListener): () => void {
    this.#statusListeners.add(listener)
    return () => this.#statusListeners.delete(listener)
  }

  #set(patch: Partial<AppState>): void {
    this.#state = { ...this.#state, ...patch }
    for (const l of this.#listeners) l()
  }

  /** Poll status; on a (re)connect also decide the phase and load lists. */
  async refreshStatus(decidePhase: boolean): Promise<void> {
    try {
      const status = await this.rpc.call('node.status')
      this.#set({ status })
      const phase: Phase = !status.hasIdentity ? 'create' : !status.unlocked ? 'unlock' : 'ready'
      if (decidePhase || phase !== this.#state.phase) {
        this.#set({ phase })
        if (phase === 'ready') await this.loadAll()
      }
    } catch {
      // the link indicator shows the problem; the next poll retries
    }
  }

  async createIdentity(displayName: string, passphrase: string): Promise<void> {
    const identity = await this.rpc.call('identity.create', { displayName, passphrase })
    this.#set({ identity, phase: 'ready' })
    await this.loadAll()
  }

  async unlock(passphrase: string): Promise<void> {
    const identity = await this.rpc.call('identity.unlock', { passphrase })
    this.#set({ identity, phase: 'ready' })
    await this.loadAll()
  }

  /** Lock the profile (identity.lock): the keys leave the daemon's memory; the unlock screen follows. */
  async lock(): Promise<void> {
    await this.rpc.call('identity.lock')
    this.live.reset()
    this.#set({ phase: 'unlock', identity: null, openId: null, jump: null })
  }

  async loadAll(): Promise<void> {
    try {
      const [identity, contacts, conversations] = await Promise.all([
        this.rpc.call('identity.get'),
        this.rpc.call('contacts.list'),
        this.rpc.call('conversations.list'),
      ])
      this.#set({
        identity,
        contacts: contacts.contacts,
        conversations: withContactConversations(conversations.conversations, contacts.contacts),
        loadError: null,
      })
      void this.refreshStatus(false)
      void this.live.loadPresence()
      void this.#loadPictures(identity.userId, contacts.contacts)
      await this.loadGroups()
    } catch (error) {
      this.#set({ loadError: describeError(error) })
    }
  }

  /** Set our profile picture (a JPEG's base64) or remove it (null); the daemon sends it to contacts. */
  async setPicture(jpegBase64: string | null): Promise<void> {
    const { picture } = await this.rpc.call(
      'identity.setPicture',
      jpegBase64 === null ? { remove: true } : { image: jpegBase64 },
    )
    const me = this.#state.identity?.userId
    if (me !== undefined) this.#setPicture(me, picture?.jpeg ?? null)
  }

  async #loadPictures(me: string, contacts: readonly Contact[]): Promise<void> {
    try {
      const own = await this.rpc.call('identity.picture')
      this.#setPicture(me, own.picture?.jpeg ?? null)
      for (const c of contacts) await this.#loadPicture(c.userId)
    } catch {
      // pictures are decoration: identicons show until the next load
    }
  }

  async #loadPicture(userId: string): Promise<void> {
    try {
      // our own user id: our picture changed on another of our devices
      const { picture } =
        userId === this.#state.identity?.userId
          ? await this.rpc.call('identity.picture')
          : await this.rpc.call('contacts.picture', { userId })
      this.#setPicture(userId, picture?.jpeg ?? null)
    } catch {
      // not (or no longer) a contact: its identicon shows
    }
  }

  #setPicture(userId: string, jpegBase64: string | null): void {
    const pictures = new Map(this.#state.pictures)
    if (jpegBase64 === null) pictures.delete(userId)
    else pictures.set(userId, `data:image/jpeg;base64,${jpegBase64}`)
    this.#set({ pictures })
  }

  async loadContacts(): Promise<void> {
    try {
      const { contacts } = await this.rpc.call('contacts.list')
      this.#set({ contacts, conversations: withContactConversations(this.#state.conversations, contacts) })
    } catch (error) {
      this.#set({ loadError: describeError(error) })
    }
  }

  /** Open a conversation at a message (a search result): the chat loads back to it and shows it. */
  openAt(conversationId: string, messageId: string, seq: number): void {
    this.#set({ jump: { conversationId, messageId, seq }, openId: conversationId })
  }

  /** A conversation's new state (conversations.update); a deleted one leaves the list. */
  replaceConversation(c: Conversation | { readonly id: string; readonly deleted: true }): void {
    const conversations =
      'deleted' in c
        ? this.#state.conversations.filter((x) => x.id !== c.id)
        : this.#state.conversations.map((x) => (x.id === c.id ? { ...c, title: x.title } : x))
    this.#set({ conversations, ...('deleted' in c && this.#state.openId === c.id ? { openId: null } : {}) })
  }

  /** The chat took the jump. */
  clearJump(): void {
    if (this.#state.jump !== null) this.#set({ jump: null })
  }

  /** Quiet re-read for presence: a failure waits for the next poll; an unchanged list sets nothing. */
  async #pollContacts(): Promise<void> {
    try {
      const { contacts } = await this.rpc.call('contacts.list')
      if (sameContacts(contacts, this.#state.contacts)) return
      this.#set({ contacts, conversations: withContactConversations(this.#state.conversations, contacts) })
    } catch {
      // the link indicator shows a daemon problem; the next poll retries
    }
  }

  /** Groups and invitations; a failure shows in the sidebar and leaves chats usable. */
  async loadGroups(): Promise<void> {
    try {
      const { groups } = await this.rpc.call('groups.list')
      this.#set({ groups: sortGroups(groups) })
    } catch (error) {
      this.#set({ loadError: `Groups could not be loaded: ${describeError(error)}` })
    }
  }

  async reloadConversations(): Promise<void> {
    try {
      const { conversations } = await this.rpc.call('conversations.list')
      this.#set({
        conversations: withContactConversations(conversations, this.#state.contacts),
        loadError: null,
      })
    } catch (error) {
      this.#set({ loadError: describeError(error) })
    }
  }

  open(id: string | null): void {
    this.#set({ openId: id })
  }

  async addContact(card: string, name?: string): Promise<Contact> {
    const contact = await this.rpc.call('contacts.add', name ? { card, name } : { card })
    const contacts = [...this.#state.contacts.filter((c) => c.userId !== contact.userId), contact]
    this.#set({ contacts, conversations: withContactConversations(this.#state.conversations, contacts) })
    return contact
  }

  #replaceContact(contact: Contact): void {
    this.#set({ contacts: this.#state.contacts.map((c) => (c.userId === contact.userId ? contact : c)) })
  }

  /**
   * Mark a contact verified. The daemon checks the number the contact sent or read out
   * (`{ safetyNumber }`); `{ compared: true }` is the user's word that they compared the numbers.
   */
  async verify(
    userId: string,
    proof: { readonly safetyNumber: string } | { readonly compared: true },
  ): Promise<void> {
    this.#replaceContact(await this.rpc.call('contacts.verify', { userId, ...proof }))
  }

  async acceptKeyChange(userId: string): Promise<void> {
    this.#replaceContact(await this.rpc.call('contacts.acceptKeyChange', { userId }))
  }

  safetyNumber(userId: string): Promise<Result<'contacts.safetyNumber'>> {
    return this.rpc.call('contacts.safetyNumber', { userId })
  }

  // ---- groups: each action returns the daemon's summary (or its error, for the view to show)

  /** Create a group inviting these contacts, and open its chat. */
  async createGroup(name: string, members: readonly string[]): Promise<GroupSummary> {
    const group = await this.rpc.call(
      'groups.create',
      members.length > 0 ? { name, members: [...members] } : { name },
    )
    await this.#afterGroupChange(group)
    this.open(group.conversationId)
    return group
  }

  /** Accept an invitation and open the group's chat. */
  async acceptInvitation(groupId: string): Promise<GroupSummary> {
    const group = await this.rpc.call('groups.accept', { groupId })
    await this.#afterGroupChange(group)
    this.open(group.conversationId)
    return group
  }

  async declineInvitation(groupId: string): Promise<GroupSummary> {
    const group = await this.rpc.call('groups.decline', { groupId })
    await this.#afterGroupChange(group)
    return group
  }

  async leaveGroup(groupId: string): Promise<GroupSummary> {
    return this.#afterGroupChange(await this.rpc.call('groups.leave', { groupId }))
  }

  async renameGroup(groupId: string, name: string): Promise<GroupSummary> {
    return this.#afterGroupChange(await this.rpc.call('groups.rename', { groupId, name }))
  }

  async inviteToGroup(groupId: string, userId: string, role: 'admin' | 'member'): Promise<GroupSummary> {
    return this.#afterGroupChange(await this.rpc.call('groups.invite', { groupId, userId, role }))
  }

  async removeFromGroup(groupId: string, userId: string): Promise<GroupSummary> {
    return this.#afterGroupChange(await this.rpc.call('groups.remove', { groupId, userId }))
  }

  async setGroupRole(groupId: string, userId: string, role: 'admin' | 'member'): Promise<GroupSummary> {
    return this.#afterGroupChange(await this.rpc.call('groups.setRole', { groupId, userId, role }))
  }

  groupMembers(groupId: string): Promise<Result<'groups.members'>> {
    return this.rpc.call('groups.members', { groupId })
  }

  async #afterGroupChange(group: GroupSummary): Promise<GroupSummary> {
    this.#set({ groups: upsertGroup(this.#state.groups, group) })
    await this.reloadConversations()
    return group
  }

  #onGroup(group: GroupSummary): void {
    const before = this.#state.groups.find((g) => g.groupId === group.groupId)
    this.#set({ groups: upsertGroup(this.#state.groups, group) })
    // the conversation list shows the group's name and holds only groups we joined
    if (before?.name !== group.name || before?.status !== group.status) void this.reloadConversations()
  }

  /** Mark a conversation read up to a seq (daemon sends read receipts). */
  async markRead(conversationId: string, upToSeq: number): Promise<void> {
    this.#set({ conversations: markConversationRead(this.#state.conversations, conversationId) })
    try {
      await this.rpc.call('messages.markRead', { conversationId, upToSeq })
    } catch {
      // not fatal: the unread count comes back on the next conversations.list
    }
  }

  /** A message we sent (from messages.send) updates the list like an event would. */
  noteSent(message: Message): void {
    this.#onMessage(message, false)
  }

  #onMessage(message: Message, fromEvent = true): void {
    const open = this.visible() ? this.#state.openId : null
    const next = applyMessage(this.#state.conversations, message, open, this.#state.identity?.userId)
    if (next === null) void this.reloadConversations()
    else this.#set({ conversations: next })
    for (const l of this.#messageListeners) l(message)
    // a message just came from this contact, so their device is likely connected: re-read presence
    if (
      fromEvent &&
      message.direction === 'in' &&
      !this.#state.contacts.find((c) => c.userId === message.sender)?.online
    )
      void this.#pollContacts()
    if (fromEvent && message.direction === 'in')
      this.onIncoming?.(
        message,
        this.#state.conversations.find((c) => c.id === message.conversationId),
      )
  }

  #onStatus(p: EventPayload<'message.status'>): void {
    const conversations = this.#state.conversations.map((c) =>
      c.id === p.conversationId && c.lastMessage?.id === p.messageId
        ? { ...c, lastMessage: applyStatus(c.lastMessage, p.status, p.receipts) }
        : c,
    )
    this.#set({ conversations })
    for (const l of this.#statusListeners) l(p)
  }

  close(): void {
    for (const u of this.#unsubscribe) u()
    this.live.close()
    if (this.#poll !== null) clearInterval(this.#poll)
    if (this.#contactsPoll !== null) clearInterval(this.#contactsPoll)
    this.rpc.close()
  }
}
