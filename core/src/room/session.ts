/**
 * One room session between the two people holding the code, from the moment a peer is found:
 * CPace keyed by the code's password-related string (cpace.ts), explicit key confirmation
 * (keys.ts), then a Double Ratchet seeded from the PAKE secret carrying padded lines.
 *
 *   initiator                               responder
 *   HELLO  sid, Ya, ADa  ───────────────▶   (generator from PRS, CI, sid; Yb; ISK; ratchet key)
 *                         ◀───────────────  REPLY  Yb, ADb = label ‖ ratchet key, mac_r
 *   check mac_r; ratchet as initiator
 *   CONFIRM mac_i        ───────────────▶   check mac_i
 *   MESSAGE (READY)      ───────────────▶   ratchet as responder → connected
 *   → connected
 *
 * Fail-secure: a frame that does not parse, is not the one expected in the current state, fails
 * a MAC or the ratchet, or comes faster than the peer bucket allows destroys the session with a
 * reason (and an ABORT frame for the peer when we are the one who detected it). Pure: suite,
 * randomness and clock are injected; keys live in this object only and are wiped on destroy.
 */
import { concatBytes, fromUtf8, utf8, wipe } from '../bytes.ts'
import type { Clock, CryptoSuite, KeyPair, Random } from '../crypto/suite.ts'
import { pad, unpad } from '../padding.ts'
import {
  initAsInitiator,
  initAsResponder,
  type RatchetState,
  ratchetDecrypt,
  ratchetEncrypt,
} from '../ratchet/index.ts'
import {
  ABORT_KEY_CONFIRMATION,
  ABORT_PROTOCOL,
  ABORT_ROOM_FULL,
  CONTENT_BYE,
  CONTENT_READY,
  CONTENT_TEXT,
  INPUT_BUCKET_CAPACITY,
  INPUT_REFILL_PER_SECOND,
  MAX_ROOM_LINE_CHARS,
  PEER_BUCKET_CAPACITY,
  PEER_REFILL_PER_SECOND,
  ROOM_AD_LABEL,
  ROOM_SID_BYTES,
} from './constants.ts'
import {
  type CpaceMessage,
  calculateGenerator,
  intermediateSessionKey,
  sampleScalar,
  scalarMult,
  scalarMultVfy,
  transcriptIr,
} from './cpace.ts'
import { type DestroyReason, peerAbort, type RoomEvent, RoomInputError, SessionFault } from './events.ts'
import { decodeRoomFrame, encodeRoomFrame, type RoomFrame } from './frame.ts'
import { confirmationMac, deriveRoomKeys, macMatches, type RoomKeys, wipeRoomKeys } from './keys.ts'
import { RoomMachine, type RoomState } from './machine.ts'
import { TokenBucket } from './token-bucket.ts'
import { wipeRatchetState } from './wipe.ts'

export type RoomRole = 'initiator' | 'responder'
export { type DestroyReason, type RoomEvent, RoomInputError }

export interface RoomSessionInit {
  readonly suite: CryptoSuite
  readonly random: Random
  readonly clock: Clock
  readonly role: RoomRole
  /** CPace PRS: the slow hash of the room code (32 bytes or more). Copied; the copy is wiped. */
  readonly prs: Uint8Array
  /** CPace CI: both ends' network identities, initiator first (binds the PAKE to this channel). */
  readonly channelId: Uint8Array
}

type Step = 'await-hello' | 'await-reply' | 'await-confirm' | 'await-ready' | 'open'

export class RoomSession {
  readonly role: RoomRole
  readonly #suite: CryptoSuite
  readonly #random: Random
  readonly #machine: RoomMachine
  readonly #input: TokenBucket
  readonly #peer: TokenBucket
  readonly #channelId: Uint8Array
  #prs: Uint8Array
  #step: Step
  #sid: Uint8Array | null = null
  #scalar: Uint8Array | null = null
  #ours: CpaceMessage | null = null
  #keys: RoomKeys | null = null
  #transcript: Uint8Array | null = null
  #ratchetKey: KeyPair | null = null
  #ratchet: RatchetState | null = null

  constructor(init: RoomSessionInit) {
    this.role = init.role
    this.#suite = init.suite
    this.#random = init.random
    this.#prs = init.prs.slice()
    this.#channelId = init.channelId.slice()
    this.#machine = new RoomMachine('found')
    this.#input = new TokenBucket({
      capacity: INPUT_BUCKET_CAPACITY,
      refillPerSecond: INPUT_REFILL_PER_SECOND,
      clock: init.clock,
    })
    this.#peer = new TokenBucket({
      capacity: PEER_BUCKET_CAPACITY,
      refillPerSecond: PEER_REFILL_PER_SECOND,
      clock: init.clock,
    })
    this.#step = init.role === 'initiator' ? 'await-reply' : 'await-hello'
  }

  get state(): RoomState {
    return this.#machine.state
  }

  /** found → key-setup; the initiator's HELLO to send. */
  start(): RoomEvent[] {
    this.#machine.move('key-setup')
    const events: RoomEvent[] = [{ type: 'state', state: 'key-setup' }]
    if (this.role === 'responder') return events
    return this.#guard(events, () => {
      const sid = this.#random(ROOM_SID_BYTES)
      this.#sid = sid
      this.#ours = this.#share(utf8(ROOM_AD_LABEL))
      events.push(this.#frame({ kind: 'hello', sid, share: this.#ours.share, ad: this.#ours.ad }))
    })
  }

  /** One frame from the peer, in order. Never throws: faults come back as a `destroyed` event. */
  receive(bytes: Uint8Array): RoomEvent[] {
    if (this.state === 'destroyed') return []
    return this.#guard([], (events) => {
      if (!this.#peer.take())
        throw new SessionFault('flood', 'the other side sent frames too fast', ABORT_PROTOCOL)
      let frame: RoomFrame
      try {
        frame = decodeRoomFrame(bytes)
      } catch (err) {
        throw new SessionFault(
          'protocol',
          `a malformed frame arrived (${(err as Error).message})`,
          ABORT_PROTOCOL,
        )
      }
      if (frame.kind === 'abort') throw peerAbort(frame.reason)
      this.#dispatch(frame, events)
    })
  }

  /** Seal one line; RoomInputError when it may not be sent (the session goes on). */
  send(text: string): Uint8Array {
    if (this.state !== 'connected' || this.#ratchet === null) throw new RoomInputError('not connected')
    const chars = [...text].length
    if (chars > MAX_ROOM_LINE_CHARS)
      throw new RoomInputError(
        `a line holds at most ${MAX_ROOM_LINE_CHARS} characters (this one has ${chars})`,
      )
    if (!this.#input.take())
      throw new RoomInputError(
        `slow down: wait ${Math.ceil(this.#input.waitMs() / 1000)} s before the next line`,
      )
    return this.#seal(CONTENT_TEXT, utf8(text))
  }

  /** /quit: an authenticated BYE when connected (else nothing to send), then everything wiped. */
  quit(): RoomEvent[] {
    if (this.state === 'destroyed') return []
    const events: RoomEvent[] = []
    if (this.state === 'connected')
      events.push({ type: 'send', frame: this.#seal(CONTENT_BYE, new Uint8Array(0)) })
    return [...events, ...this.destroy('quit', 'you left the room')]
  }

  /** Room full on a connection we refuse: the ABORT frame for it (no session involved). */
  static roomFullFrame(): Uint8Array {
    return encodeRoomFrame({ kind: 'abort', reason: ABORT_ROOM_FULL })
  }

  /** Any state → destroyed: every key and buffer zeroed. Idempotent. */
  destroy(reason: DestroyReason, detail: string): RoomEvent[] {
    if (this.state === 'destroyed') return []
    this.#machine.move('destroyed')
    wipe(this.#prs, this.#channelId)
    if (this.#sid !== null) wipe(this.#sid)
    if (this.#scalar !== null) wipe(this.#scalar)
    if (this.#transcript !== null) wipe(this.#transcript)
    if (this.#ratchetKey !== null) wipe(this.#ratchetKey.secretKey)
    wipeRoomKeys(this.#keys)
    wipeRatchetState(this.#ratchet)
    this.#scalar = null
    this.#keys = null
    this.#ratchet = null
    this.#ratchetKey = null
    return [
      { type: 'state', state: 'destroyed' },
      { type: 'destroyed', reason, detail },
    ]
  }

  #dispatch(frame: RoomFrame, events: RoomEvent[]): void {
    const expected = EXPECTED[this.#step]
    if (frame.kind !== expected)
      throw new SessionFault(
        'protocol',
        `unexpected ${frame.kind} frame (expected ${expected})`,
        ABORT_PROTOCOL,
      )
    if (frame.kind === 'hello') this.#onHello(frame, events)
    else if (frame.kind === 'reply') this.#onReply(frame, events)
    else if (frame.kind === 'confirm') this.#onConfirm(frame)
    else if (frame.kind === 'message') this.#onMessage(frame.message, events)
  }

  #onHello(frame: Extract<RoomFrame, { kind: 'hello' }>, events: RoomEvent[]): void {
    if (!bytesSame(frame.ad, utf8(ROOM_AD_LABEL)))
      throw new SessionFault(
        'protocol',
        'the other side speaks another room protocol version',
        ABORT_PROTOCOL,
      )
    this.#sid = frame.sid
    this.#ratchetKey = this.#suite.x25519Generate()
    this.#ours = this.#share(concatBytes(utf8(ROOM_AD_LABEL), this.#ratchetKey.publicKey))
    const theirs = { share: frame.share, ad: frame.ad }
    this.#agree(theirs, transcriptIr(theirs, this.#ours))
    const keys = this.#keys as RoomKeys
    const mac = confirmationMac(this.#suite, keys, 'responder', this.#transcript as Uint8Array)
    events.push(this.#frame({ kind: 'reply', share: this.#ours.share, ad: this.#ours.ad, mac }))
    this.#step = 'await-confirm'
  }

  #onReply(frame: Extract<RoomFrame, { kind: 'reply' }>, events: RoomEvent[]): void {
    const label = utf8(ROOM_AD_LABEL)
    if (frame.ad.length !== label.length + 32 || !bytesSame(frame.ad.subarray(0, label.length), label))
      throw new SessionFault(
        'protocol',
        'the other side speaks another room protocol version',
        ABORT_PROTOCOL,
      )
    const theirs = { share: frame.share, ad: frame.ad }
    const ours = this.#ours as CpaceMessage
    this.#agree(theirs, transcriptIr(ours, theirs))
    const keys = this.#keys as RoomKeys
    const transcript = this.#transcript as Uint8Array
    if (!macMatches(confirmationMac(this.#suite, keys, 'responder', transcript), frame.mac))
      throw new SessionFault(
        'wrong-code',
        'the room code does not match (key confirmation failed)',
        ABORT_KEY_CONFIRMATION,
      )
    this.#ratchet = initAsInitiator(this.#suite, {
      sharedSecret: keys.root,
      associatedData: keys.associatedData,
      remoteRatchetKey: frame.ad.slice(label.length),
    })
    events.push(
      this.#frame({ kind: 'confirm', mac: confirmationMac(this.#suite, keys, 'initiator', transcript) }),
    )
    events.push({ type: 'send', frame: this.#seal(CONTENT_READY, new Uint8Array(0)) })
    this.#connected(events)
  }

  #onConfirm(frame: Extract<RoomFrame, { kind: 'confirm' }>): void {
    const keys = this.#keys as RoomKeys
    if (
      !macMatches(confirmationMac(this.#suite, keys, 'initiator', this.#transcript as Uint8Array), frame.mac)
    )
      throw new SessionFault(
        'wrong-code',
        'the room code does not match (key confirmation failed)',
        ABORT_KEY_CONFIRMATION,
      )
    this.#ratchet = initAsResponder(this.#suite, {
      sharedSecret: keys.root,
      associatedData: keys.associatedData,
      ourRatchetKeyPair: this.#ratchetKey as KeyPair,
    })
    this.#step = 'await-ready'
  }

  #onMessage(message: Uint8Array, events: RoomEvent[]): void {
    let opened: { state: RatchetState; plaintext: Uint8Array }
    try {
      opened = ratchetDecrypt(this.#suite, this.#ratchet as RatchetState, message)
    } catch {
      throw new SessionFault(
        'protocol',
        'a message failed authentication (tampered or forged)',
        ABORT_PROTOCOL,
      )
    }
    this.#ratchet = opened.state
    let content: Uint8Array
    try {
      content = unpad(opened.plaintext)
    } catch {
      throw new SessionFault('protocol', 'a message had malformed padding', ABORT_PROTOCOL)
    } finally {
      wipe(opened.plaintext)
    }
    const kind = content[0]
    const body = content.subarray(1)
    if (this.#step === 'await-ready') {
      if (kind !== CONTENT_READY || body.length !== 0)
        throw new SessionFault('protocol', 'the first message was not the ready signal', ABORT_PROTOCOL)
      this.#connected(events)
      return
    }
    if (kind === CONTENT_BYE && body.length === 0) {
      events.push(...this.destroy('peer-quit', 'the other side left the room'))
      return
    }
    if (kind !== CONTENT_TEXT)
      throw new SessionFault('protocol', `unknown content kind ${kind}`, ABORT_PROTOCOL)
    let text: string
    try {
      text = fromUtf8(body)
    } catch {
      throw new SessionFault('protocol', 'a message was not UTF-8', ABORT_PROTOCOL)
    }
    if ([...text].length > MAX_ROOM_LINE_CHARS)
      throw new SessionFault(
        'protocol',
        `a line over ${MAX_ROOM_LINE_CHARS} characters arrived`,
        ABORT_PROTOCOL,
      )
    wipe(content)
    events.push({ type: 'text', text })
  }

  /** Our CPace message: a fresh scalar y, Y = y · g(PRS, CI, sid). */
  #share(ad: Uint8Array): CpaceMessage {
    const generator = calculateGenerator(this.#suite, this.#prs, this.#channelId, this.#sid as Uint8Array)
    this.#scalar = sampleScalar(this.#random)
    return { share: scalarMult(this.#scalar, generator), ad }
  }

  /** K, ISK and the keys from it; the scalar and ISK are wiped once used. */
  #agree(theirs: CpaceMessage, transcript: Uint8Array): void {
    let k: Uint8Array
    try {
      k = scalarMultVfy(this.#scalar as Uint8Array, theirs.share)
    } catch {
      throw new SessionFault('protocol', 'the other side sent an invalid key share', ABORT_PROTOCOL)
    }
    const sid = this.#sid as Uint8Array
    const isk = intermediateSessionKey(this.#suite, sid, k, transcript)
    this.#keys = deriveRoomKeys(this.#suite, isk, sid, transcript)
    this.#transcript = transcript
    wipe(k, isk, this.#scalar as Uint8Array, this.#prs)
    this.#scalar = null
  }

  #connected(events: RoomEvent[]): void {
    this.#step = 'open'
    this.#machine.move('connected')
    events.push({ type: 'state', state: 'connected' })
  }

  #seal(kind: number, body: Uint8Array): Uint8Array {
    const padded = pad(concatBytes(Uint8Array.of(kind), body))
    const sealed = ratchetEncrypt(this.#suite, this.#ratchet as RatchetState, padded)
    wipe(padded)
    this.#ratchet = sealed.state
    return encodeRoomFrame({ kind: 'message', message: sealed.message })
  }

  #frame(frame: RoomFrame): RoomEvent {
    return { type: 'send', frame: encodeRoomFrame(frame) }
  }

  /** Run a step; a fault (or any unexpected error) destroys the session, telling the peer why when we found it. */
  #guard(events: RoomEvent[], step: (events: RoomEvent[]) => void): RoomEvent[] {
    try {
      step(events)
      return events
    } catch (err) {
      const fault =
        err instanceof SessionFault
          ? err
          : new SessionFault('protocol', `internal error: ${(err as Error).message}`, ABORT_PROTOCOL)
      const out: RoomEvent[] = []
      if (fault.abort !== null) out.push(this.#frame({ kind: 'abort', reason: fault.abort }))
      return [...out, ...this.destroy(fault.reason, fault.message)]
    }
  }
}

const EXPECTED: Readonly<Record<Step, RoomFrame['kind']>> = {
  'await-hello': 'hello',
  'await-reply': 'reply',
  'await-confirm': 'confirm',
  'await-ready': 'message',
  open: 'message',
}

function bytesSame(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}
