/**
 * Typing indicators (in direct chats and groups) and presence between contacts, over /wren/ephemeral/1.0.0: one sealed frame
 * (core/src/ephemeral/frame.ts) per stream, no answer, only over a connection that is open
 * already — nothing here dials, queues, retries or stores a signal: without a live connection a
 * signal is dropped. Frames are sealed for one contact (a key of the two identities), so no one
 * else can read or forge them, and only contacts are ever sent one: presence never reaches
 * anyone else. Frames from a peer that is not a contact's device are ignored; a contact sending
 * faster than EPHEMERAL_BURST / EPHEMERAL_REFILL_MS is ignored before any decryption. In a
 * group, typing goes to each member's device separately (members are contacts of each other:
 * the group layer adds them from their cards), and a group typing frame counts only from a
 * current member of a group we are in.
 *
 * Two settings, stored sealed (records.ts): typing off sends none and announces none received;
 * presence hidden sends "hidden" to connected contacts and no "shared" on new connections (they
 * see us offline), and we show no presence of others either.
 */
import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { fromHex, toHex } from '../../../core/src/bytes.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import {
  EPHEMERAL_GROUP_TYPING,
  EPHEMERAL_PRESENCE,
  EPHEMERAL_TYPING,
  MAX_EPHEMERAL_FRAME_BYTES,
} from '../../../core/src/ephemeral/constants.ts'
import {
  type EphemeralSignal,
  ephemeralKey,
  openEphemeral,
  sealEphemeral,
} from '../../../core/src/ephemeral/frame.ts'
import type { IdentityKeyPair } from '../../../core/src/identity.ts'
import { directConversationId, groupConversationId } from '../messaging/conversation-id.ts'
import type { MessagingLogger } from '../messaging/logger.ts'
import { peerIdFromBytes } from '../messaging/peer-ids.ts'
import { FIXED_KEYS } from '../storage/layout.ts'
import type { SealedStore } from '../storage/sealed-store.ts'
import {
  EPHEMERAL_BURST,
  EPHEMERAL_READ_TIMEOUT_MS,
  EPHEMERAL_REFILL_MS,
  EPHEMERAL_SEND_TIMEOUT_MS,
  GROUP_TYPING_MAX_RECIPIENTS,
  MAX_RATE_ENTRIES,
  WREN_EPHEMERAL_PROTOCOL,
} from './constants.ts'
import { PresenceBook, type PresenceState } from './presence-book.ts'
import { RateLimiter } from './rate-limit.ts'
import { CONVERSATION_SETTINGS, type ConversationSettings, DEFAULT_CONVERSATION_SETTINGS } from './records.ts'
import { TypingBook, type TypingEvent } from './typing.ts'

/** What the service needs to know of a contact. */
export interface ContactDevice {
  readonly userId: string
  readonly identityKey: Uint8Array
  readonly devicePeerId: Uint8Array | null
}

export interface EphemeralInit {
  readonly suite: CryptoSuite
  readonly identity: IdentityKeyPair
  readonly libp2p: Libp2p
  readonly store: SealedStore
  /** The contact whose device is this peer (PeerId string), else null. */
  contactOfPeer(peerId: string): Promise<ContactDevice | null>
  contact(userId: string): Promise<ContactDevice | null>
  contacts(): Promise<ContactDevice[]>
  /** User ids of the other current members of a group we are a member of ([] otherwise). */
  groupMembers(groupIdHex: string): readonly string[]
  onTyping(event: TypingEvent): void
  onPresence(state: PresenceState): void
  readonly now: () => number
  readonly log: MessagingLogger
}

export type { PresenceState, TypingEvent }

export class EphemeralService {
  readonly #init: EphemeralInit
  readonly #rate: RateLimiter
  readonly #typing: TypingBook
  readonly #presence: PresenceBook
  /** Keys per direction and contact identity key (hex): derived once, kept while running. */
  readonly #keys = new Map<string, Uint8Array>()
  /** Contacts we heard a presence frame from on their current connection (we answer the first). */
  readonly #heard = new Set<string>()
  /** Last counter accepted per contact (replays and reordering refused). */
  readonly #lastCounter = new Map<string, number>()
  #counter = 0
  #settings: ConversationSettings = DEFAULT_CONVERSATION_SETTINGS
  /** Frames ignored since start (flood, unknown peer, bad frame, replay): tests read it. */
  ignored = 0
  readonly #onConnect = (event: CustomEvent<PeerId>) => void this.#peerChanged(event.detail, true)
  readonly #onDisconnect = (event: CustomEvent<PeerId>) => void this.#peerChanged(event.detail, false)

  constructor(init: EphemeralInit) {
    this.#init = init
    this.#rate = new RateLimiter({
      burst: EPHEMERAL_BURST,
      refillMs: EPHEMERAL_REFILL_MS,
      maxEntries: MAX_RATE_ENTRIES,
      now: init.now,
    })
    this.#typing = new TypingBook(init.now, (event) => {
      if (this.#settings.typing) init.onTyping(event)
    })
    this.#presence = new PresenceBook(init.now, (state) => {
      if (this.#settings.presence) init.onPresence(state)
    })
  }

  async start(): Promise<void> {
    this.#settings =
      (await this.#init.store.read(FIXED_KEYS.conversationSettings, CONVERSATION_SETTINGS)) ??
      DEFAULT_CONVERSATION_SETTINGS
    const { libp2p } = this.#init
    await libp2p.handle(
      WREN_EPHEMERAL_PROTOCOL,
      (stream, connection) => void this.#receive(stream, connection),
      {
        runOnLimitedConnection: true,
      },
    )
    libp2p.addEventListener('peer:connect', this.#onConnect)
    libp2p.addEventListener('peer:disconnect', this.#onDisconnect)
    // contacts connected before we listened (the messenger dials them at start)
    for (const contact of await this.#init.contacts())
      if (contact.devicePeerId !== null && this.#connection(contact.devicePeerId) !== null)
        void this.#peerChanged(peerIdFromBytes(contact.devicePeerId), true)
  }

  async stop(): Promise<void> {
    const { libp2p } = this.#init
    libp2p.removeEventListener('peer:connect', this.#onConnect)
    libp2p.removeEventListener('peer:disconnect', this.#onDisconnect)
    this.#typing.clear()
    await libp2p.unhandle(WREN_EPHEMERAL_PROTOCOL).catch(() => {})
  }

  get settings(): ConversationSettings {
    return this.#settings
  }

  async configure(change: Partial<ConversationSettings>): Promise<ConversationSettings> {
    const next = { ...this.#settings, ...change }
    const presenceChanged = next.presence !== this.#settings.presence
    await this.#init.store.write(FIXED_KEYS.conversationSettings, CONVERSATION_SETTINGS, next)
    this.#settings = next
    if (!next.typing) this.#typing.clear()
    if (presenceChanged)
      for (const contact of await this.#init.contacts())
        void this.#send(contact, EPHEMERAL_PRESENCE, next.presence)
    return next
  }

  /** Tell `userId` we type (or stopped); whether a frame left (false: off, throttled, no connection). */
  async setTyping(userId: string, typing: boolean): Promise<boolean> {
    if (!this.#settings.typing) return false
    const conversationId = directConversationId(userId)
    const contact = await this.#init.contact(userId)
    if (contact === null || !this.#typing.shouldSend(conversationId, typing)) return false
    const sent = await this.#send(contact, EPHEMERAL_TYPING, typing)
    if (!sent) this.#typing.unsent(conversationId, typing)
    return sent
  }

  /**
   * Tell the members of a group we type (or stopped) there: one frame to each member whose
   * device is connected now (at most GROUP_TYPING_MAX_RECIPIENTS), sealed for that member, the
   * group id inside. Whether any frame left (false: off, throttled, not a member, none connected).
   */
  async setGroupTyping(groupIdHex: string, typing: boolean): Promise<boolean> {
    if (!this.#settings.typing) return false
    const conversationId = groupConversationId(groupIdHex)
    const members = this.#init.groupMembers(groupIdHex)
    if (members.length === 0 || !this.#typing.shouldSend(conversationId, typing)) return false
    const connected: ContactDevice[] = []
    for (const userId of members) {
      if (connected.length >= GROUP_TYPING_MAX_RECIPIENTS) break
      const contact = await this.#init.contact(userId)
      if (contact?.devicePeerId != null && this.#connection(contact.devicePeerId) !== null)
        connected.push(contact)
    }
    const group = fromHex(groupIdHex)
    const sent = await Promise.all(connected.map((c) => this.#send(c, EPHEMERAL_GROUP_TYPING, typing, group)))
    const any = sent.some((s) => s)
    if (!any) this.#typing.unsent(conversationId, typing)
    return any
  }

  /** Presence of every contact (none while ours is hidden). */
  async presence(): Promise<PresenceState[]> {
    if (!this.#settings.presence) return []
    return (await this.#init.contacts()).map((c) => this.#presence.of(c.userId))
  }

  /** A contact was just added: when its device is connected already, it hears our presence now. */
  async contactAdded(userId: string): Promise<void> {
    const contact = await this.#init.contact(userId).catch(() => null)
    if (contact?.devicePeerId != null && this.#connection(contact.devicePeerId) !== null)
      await this.#peerChanged(peerIdFromBytes(contact.devicePeerId), true)
  }

  async #peerChanged(peer: PeerId, connected: boolean): Promise<void> {
    try {
      const contact = await this.#init.contactOfPeer(peer.toString())
      if (contact === null) return
      if (!connected) {
        this.#heard.delete(contact.userId)
        this.#presence.disconnected(contact.userId)
        this.#typing.stoppedEverywhere(contact.userId)
        return
      }
      this.#presence.connected(contact.userId)
      if (this.#settings.presence) await this.#send(contact, EPHEMERAL_PRESENCE, true)
    } catch (error) {
      this.#init.log.debug('presence update failed', { error: (error as Error)?.name })
    }
  }

  #connection(devicePeerId: Uint8Array): Connection | null {
    try {
      return (
        this.#init.libp2p.getConnections(peerIdFromBytes(devicePeerId)).find((c) => c.status === 'open') ??
        null
      )
    } catch {
      return null
    }
  }

  #key(contact: ContactDevice, outgoing: boolean): Uint8Array {
    const { suite, identity } = this.#init
    const id = `${outgoing ? 'to' : 'from'}:${toHex(contact.identityKey)}`
    let key = this.#keys.get(id)
    if (key === undefined) {
      const direction = outgoing
        ? { sender: identity.publicKey, recipient: contact.identityKey }
        : { sender: contact.identityKey, recipient: identity.publicKey }
      key = ephemeralKey(suite, identity.secretKey, direction, contact.identityKey)
      this.#keys.set(id, key)
    }
    return key
  }

  /** One frame to the contact's device over an open connection; false when there is none or it fails. */
  async #send(contact: ContactDevice, kind: number, on: boolean, group?: Uint8Array): Promise<boolean> {
    if (contact.devicePeerId === null) return false
    const connection = this.#connection(contact.devicePeerId)
    if (connection === null) return false
    this.#counter = Math.max(this.#counter + 1, this.#init.now())
    const frame = sealEphemeral(this.#init.suite, this.#key(contact, true), {
      kind,
      counter: this.#counter,
      on,
      ...(group !== undefined ? { group } : {}),
    })
    const signal = AbortSignal.timeout(EPHEMERAL_SEND_TIMEOUT_MS)
    try {
      const stream = await connection.newStream(WREN_EPHEMERAL_PROTOCOL, {
        signal,
        runOnLimitedConnection: true,
      })
      await lpStream(stream, { maxDataLength: MAX_EPHEMERAL_FRAME_BYTES }).write(frame, { signal })
      await stream.close({ signal })
      return true
    } catch (error) {
      this.#init.log.debug('ephemeral frame not sent', { error: (error as Error)?.name })
      return false
    }
  }

  async #receive(
    stream: Parameters<Parameters<Libp2p['handle']>[1]>[0],
    connection: Connection,
  ): Promise<void> {
    const peer = connection.remotePeer.toString()
    try {
      // the rate check comes first: a flood costs a map lookup per frame, nothing more
      if (!this.#rate.allow(peer)) {
        this.ignored++
        stream.abort(new Error('rate limited'))
        return
      }
      const bytes = await lpStream(stream, { maxDataLength: MAX_EPHEMERAL_FRAME_BYTES }).read({
        signal: AbortSignal.timeout(EPHEMERAL_READ_TIMEOUT_MS),
      })
      await stream.close().catch(() => {})
      const contact = await this.#init.contactOfPeer(peer)
      if (contact === null) {
        this.ignored++
        return
      }
      const signal = openEphemeral(
        this.#init.suite,
        this.#key(contact, false),
        new Uint8Array(bytes.subarray()),
      )
      this.#apply(contact, signal)
    } catch (error) {
      this.ignored++
      stream.abort(error instanceof Error ? error : new Error(String(error)))
    }
  }

  #apply(contact: ContactDevice, signal: EphemeralSignal): void {
    const { userId } = contact
    if (signal.counter <= (this.#lastCounter.get(userId) ?? -1)) {
      this.ignored++
      return
    }
    this.#lastCounter.set(userId, signal.counter)
    // the first frame on a connection, of any kind, is answered with our presence: the contact
    // may not have known us (or not listened yet) when the connection opened — a group member
    // becomes a contact from its card after that — and each side answers once per connection
    if (!this.#heard.has(userId)) {
      this.#heard.add(userId)
      this.#presence.connected(userId)
      if (this.#settings.presence) void this.#send(contact, EPHEMERAL_PRESENCE, true)
    }
    if (signal.kind === EPHEMERAL_PRESENCE) {
      // the frame proves a live connection (it may have opened before we listened for it)
      this.#presence.connected(userId)
      this.#presence.shared(userId, signal.on)
    } else if (signal.kind === EPHEMERAL_TYPING && this.#settings.typing)
      this.#typing.received(directConversationId(userId), userId, signal.on)
    else if (signal.kind === EPHEMERAL_GROUP_TYPING && this.#settings.typing && signal.group !== undefined) {
      const groupIdHex = toHex(signal.group)
      // only a current member, of a group we are in, types in it
      if (!this.#init.groupMembers(groupIdHex).includes(userId)) {
        this.ignored++
        return
      }
      this.#typing.received(groupConversationId(groupIdHex), userId, signal.on)
    }
  }
}
