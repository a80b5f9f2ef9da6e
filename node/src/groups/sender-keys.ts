/**
 * Our Sender Key per group and the receiver copies of other members' keys, cached in memory and
 * persisted through the GroupStore. Each member makes one key per group epoch (a random
 * distribution id, so a topic payload names its key without naming its sender) and sends the
 * distribution only to current members over the pairwise sessions. A removal or leave advances
 * the epoch: the next reconcile makes a new key for the remaining members only. Keys also rotate
 * after SENDER_KEY_ROTATION_MS or SENDER_KEY_ROTATION_MESSAGES.
 *
 * Callers hold the group service's lock; nothing here awaits the network.
 */
import { toHex } from '../../../core/src/bytes.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import {
  createSenderKey,
  DISTRIBUTION_ID_BYTES,
  decodeSenderKeyState,
  encodeSenderKeyState,
  processSenderKeyDistribution,
  rotateSenderKey,
  type SenderKeyState,
  senderKeyDistribution,
} from '../../../core/src/sender-key.ts'
import { GROUP_PREFIXES } from '../storage/layout.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import { SENDER_KEY_ROTATION_MESSAGES, SENDER_KEY_ROTATION_MS } from './constants.ts'
import type { GroupStore, OwnSenderKey, PeerSenderKey } from './group-store.ts'

export interface OwnKey {
  readonly record: OwnSenderKey
  readonly state: SenderKeyState
}
export interface PeerKey {
  readonly record: PeerSenderKey
  readonly state: SenderKeyState
}

/** What a reconcile decided: our distribution to send, and to whom. */
export interface Distribution {
  readonly groupId: string
  readonly epoch: number
  readonly peers: readonly string[]
  readonly distribution: Uint8Array
}

export class SenderKeyBook {
  readonly #suite: CryptoSuite
  readonly #store: GroupStore
  readonly #own = new Map<string, OwnKey>()
  readonly #peers = new Map<string, PeerKey>()

  constructor(suite: CryptoSuite, store: GroupStore) {
    this.#suite = suite
    this.#store = store
  }

  async load(): Promise<void> {
    for await (const record of this.#store.all<OwnSenderKey>(GROUP_PREFIXES.ownSenderKey))
      this.#own.set(record.groupId, { record, state: decodeSenderKeyState(record.state) })
    for await (const record of this.#store.all<PeerSenderKey>(GROUP_PREFIXES.peerSenderKey)) {
      const state = decodeSenderKeyState(record.state)
      this.#peers.set(toHex(state.distributionId), { record, state })
    }
  }

  own(groupId: string): OwnKey | undefined {
    return this.#own.get(groupId)
  }

  peer(distributionIdHex: string): PeerKey | undefined {
    return this.#peers.get(distributionIdHex)
  }

  /**
   * Make sure our key fits the epoch (new key on a new epoch, rotation when due) and that every
   * current member holds its distribution. Returns the ops to persist and what to send; apply
   * with commitOwn after the write. `rotate` rotates now (a member's device was revoked: the
   * revoked device holds our current chain, the new one goes to the remaining devices only).
   */
  reconcile(
    groupId: string,
    epoch: number,
    members: readonly string[],
    now: number,
    rotate = false,
  ): { ops: BatchOp[]; next: OwnKey; send: Distribution | null } {
    let current = this.#own.get(groupId)
    if (current === undefined || current.record.epoch !== epoch) {
      const state = createSenderKey(this.#suite, {
        distributionId: this.#suite.randomBytes(DISTRIBUTION_ID_BYTES),
      })
      current = {
        state,
        record: { groupId, epoch, state: new Uint8Array(0), createdAt: now, sent: 0, distributedTo: [] },
      }
    } else if (
      rotate ||
      now - current.record.createdAt >= SENDER_KEY_ROTATION_MS ||
      current.record.sent >= SENDER_KEY_ROTATION_MESSAGES
    ) {
      const state = rotateSenderKey(this.#suite, current.state)
      current = { state, record: { ...current.record, createdAt: now, sent: 0, distributedTo: [] } }
    }
    const have = new Set(current.record.distributedTo)
    const missing = members.filter((m) => !have.has(m))
    const record: OwnSenderKey = {
      ...current.record,
      state: encodeSenderKeyState(current.state),
      distributedTo: members.filter((m) => have.has(m) || missing.includes(m)),
    }
    const next = { record, state: current.state }
    const send =
      missing.length === 0
        ? null
        : { groupId, epoch, peers: missing, distribution: senderKeyDistribution(current.state) }
    return { ops: [this.#store.put(this.#store.ownKeyKey(groupId), record)], next, send }
  }

  /** Our key after an encryption (one more message on the chain). */
  advanced(key: OwnKey, state: SenderKeyState): { ops: BatchOp[]; next: OwnKey } {
    const record = { ...key.record, state: encodeSenderKeyState(state), sent: key.record.sent + 1 }
    return { ops: [this.#store.put(this.#store.ownKeyKey(record.groupId), record)], next: { record, state } }
  }

  commitOwn(key: OwnKey): void {
    this.#own.set(key.record.groupId, key)
  }

  /** Members the distribution could not be queued to must get it on the next reconcile. */
  undistribute(groupId: string, peers: readonly string[]): BatchOp[] {
    const key = this.#own.get(groupId)
    if (key === undefined) return []
    const record = {
      ...key.record,
      distributedTo: key.record.distributedTo.filter((p) => !peers.includes(p)),
    }
    this.#own.set(groupId, { record, state: key.state })
    return [this.#store.put(this.#store.ownKeyKey(groupId), record)]
  }

  /**
   * A member's distribution. Null when it is refused: the distribution id is already another
   * sender's, or the bytes are bad (core throws typed errors; the caller logs the name).
   */
  receive(
    groupId: string,
    sender: string,
    epoch: number,
    bytes: Uint8Array,
    device?: string,
  ): { ops: BatchOp[]; next: PeerKey } | null {
    const fresh = processSenderKeyDistribution(this.#suite, bytes)
    const distHex = toHex(fresh.distributionId)
    const existing = this.#peers.get(distHex)
    if (existing !== undefined && (existing.record.sender !== sender || existing.record.groupId !== groupId))
      return null
    const state =
      existing === undefined ? fresh : processSenderKeyDistribution(this.#suite, bytes, existing.state)
    // the device that first brought a distribution id stays its device
    const from = existing?.record.device ?? device
    return this.updatedPeer(
      { groupId, sender, epoch, state: new Uint8Array(0), ...(from === undefined ? {} : { device: from }) },
      state,
    )
  }

  /** Forget every key `sender` distributed from one of `devices` (hex; revoked): ops to delete them. */
  forgetDevices(sender: string, devices: ReadonlySet<string>): BatchOp[] {
    const ops: BatchOp[] = []
    for (const [distHex, key] of this.#peers) {
      if (key.record.sender !== sender || key.record.device === undefined || !devices.has(key.record.device))
        continue
      this.#peers.delete(distHex)
      ops.push(this.#store.del(this.#store.peerKeyKey(distHex)))
    }
    return ops
  }

  updatedPeer(record: PeerSenderKey, state: SenderKeyState): { ops: BatchOp[]; next: PeerKey } {
    const distHex = toHex(state.distributionId)
    const next = { record: { ...record, state: encodeSenderKeyState(state) }, state }
    return { ops: [this.#store.put(this.#store.peerKeyKey(distHex), next.record)], next }
  }

  commitPeer(key: PeerKey): void {
    this.#peers.set(toHex(key.state.distributionId), key)
  }

  /** Forget every key of a group (we left or were removed): ops to delete them. */
  forgetGroup(groupId: string): BatchOp[] {
    const ops: BatchOp[] = []
    if (this.#own.delete(groupId)) ops.push(this.#store.del(this.#store.ownKeyKey(groupId)))
    for (const [distHex, key] of this.#peers) {
      if (key.record.groupId !== groupId) continue
      this.#peers.delete(distHex)
      ops.push(this.#store.del(this.#store.peerKeyKey(distHex)))
    }
    return ops
  }
}
