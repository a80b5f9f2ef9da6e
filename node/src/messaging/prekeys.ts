/**
 * This device's prekeys: the signed X25519 prekey and last-resort ML-KEM prekey published in the
 * bundle, and pools of one-time X25519 and ML-KEM prekeys handed out once each (over
 * /wren/prekey when this device is online; through mailboxes with the relay work).
 *
 * The long-term prekeys (signed, last-resort) live in the passphrase-sealed keystore, rewritten
 * only when they rotate (weekly). One-time prekeys live as one sealed record each in the profile
 * store (OneTimePrekeyStore): a claim, a refill or a use writes only the records it changes. Every
 * change is written before it takes effect, so a crash never hands out a one-time prekey twice.
 *
 * Bounds: ONE_TIME_PREKEY_POOL unclaimed per kind; at most MAX_CLAIMED_PREKEY_PAIRS handed out
 * and still unused (the oldest are dropped beyond it); claims over /wren/prekey are rate-limited
 * by the messenger (claim-limiter.ts).
 */
import type { CryptoSuite, KeyPair } from '../../../core/src/crypto/suite.ts'
import type { IdentityKeyPair } from '../../../core/src/identity.ts'
import {
  type SignedKemPrekey,
  type SignedPrekey,
  signKemPrekey,
  signPrekey,
} from '../../../core/src/prekey-bundle.ts'
import { encodeOneTimePrekey, encodeSignedKemPrekey } from '../../../core/src/prekey-bundle-codec.ts'
import type { PrekeySecrets } from '../../../core/src/session.ts'
import type { PrekeySecret } from '../storage/keystore.ts'
import { encodePrekeyResponse } from './content.ts'

const DAY_MS = 24 * 60 * 60 * 1000
/** Signal's cadence: a new signed prekey each week bounds how long one compromise is useful. */
export const SIGNED_PREKEY_ROTATION_MS = 7 * DAY_MS
/** Old signed prekeys stay for late prekey messages (mailboxes keep mail for 14 days). */
export const SIGNED_PREKEY_GRACE_MS = 14 * DAY_MS
/** One-time prekeys kept ready per kind: enough for a burst of new contacts while online. */
export const ONE_TIME_PREKEY_POOL = 20
/** Refill when fewer than this are left. */
export const ONE_TIME_PREKEY_LOW_WATER = 5
/**
 * One-time prekey pairs handed out (to claimers or to mailboxes) whose secrets are kept until a
 * prekey message uses them: ≈ 2.6 KiB each at rest, so ≈ 0.7 MiB at most. Beyond it the oldest
 * are dropped; a late first message that used one fails and its sender starts a new session.
 * The claim limits admit ≈ 120 an hour, so this keeps a flood's keys for about two hours and
 * an ordinary device's (a few a week) for the whole grace period.
 */
export const MAX_CLAIMED_PREKEY_PAIRS = 256
const MAX_PREKEY_ID = 0xffff_ffff

/** A one-time prekey secret as stored: `claimedAt` once handed out (never handed out again). */
export interface OneTimePrekeyRecord extends PrekeySecret {
  readonly kind: 'one-time' | 'kem-one-time'
  readonly claimedAt?: number
}

/** Where one-time prekeys are kept: one record each, written in atomic batches. */
export interface OneTimePrekeyStore {
  /** Every stored record and the next unused prekey id (0 when never written). */
  load(): Promise<{ records: OneTimePrekeyRecord[]; nextId: number }>
  /** Put and delete records, and move the id counter, in one atomic write. */
  write(put: readonly OneTimePrekeyRecord[], del: readonly number[], nextId: number): Promise<void>
}

/** An in-memory OneTimePrekeyStore (tests and tools). */
export class MemoryOneTimePrekeyStore implements OneTimePrekeyStore {
  readonly records = new Map<number, OneTimePrekeyRecord>()
  nextId = 0
  writes = 0

  async load(): Promise<{ records: OneTimePrekeyRecord[]; nextId: number }> {
    return { records: [...this.records.values()], nextId: this.nextId }
  }

  async write(put: readonly OneTimePrekeyRecord[], del: readonly number[], nextId: number): Promise<void> {
    for (const id of del) this.records.delete(id)
    for (const record of put) this.records.set(record.id, record)
    this.nextId = nextId
    this.writes++
  }
}

export interface PrekeyManagerInit {
  suite: CryptoSuite
  identity: IdentityKeyPair
  /** Signed and last-resort prekeys from the keystore (one-time ones there are ignored). */
  longTerm: readonly PrekeySecret[]
  /** Write the long-term prekeys back to the keystore (rotation only). */
  persistLongTerm: (prekeys: readonly PrekeySecret[]) => Promise<void>
  oneTimeStore: OneTimePrekeyStore
}

export interface ClaimedPrekeys {
  oneTimePrekey: Uint8Array
  oneTimeKemPrekey: Uint8Array
}

export class PrekeyManager {
  readonly #suite: CryptoSuite
  readonly #identity: IdentityKeyPair
  readonly #persistLongTerm: (prekeys: readonly PrekeySecret[]) => Promise<void>
  readonly #store: OneTimePrekeyStore
  #longTerm: PrekeySecret[]
  /** One-time prekeys by id, claimed or not; insertion order is creation order. */
  #oneTime = new Map<number, OneTimePrekeyRecord>()
  #nextId = 1

  private constructor(init: PrekeyManagerInit) {
    this.#suite = init.suite
    this.#identity = init.identity
    this.#persistLongTerm = init.persistLongTerm
    this.#store = init.oneTimeStore
    this.#longTerm = init.longTerm.filter((p) => p.kind === 'signed' || p.kind === 'kem')
  }

  /** Load the one-time prekeys from their store. */
  static async open(init: PrekeyManagerInit): Promise<PrekeyManager> {
    const manager = new PrekeyManager(init)
    const { records, nextId } = await init.oneTimeStore.load()
    records.sort((a, b) => a.id - b.id)
    for (const record of records) manager.#oneTime.set(record.id, record)
    let max = 0
    for (const p of [...manager.#longTerm, ...records]) if (p.id > max) max = p.id
    manager.#nextId = Math.max(nextId, max + 1)
    return manager
  }

  /** Long-term prekeys (signed, last resort) as the keystore holds them. */
  get longTerm(): readonly PrekeySecret[] {
    return this.#longTerm
  }

  /** One-time prekey records held now (claimed or not). */
  get oneTimeCount(): number {
    return this.#oneTime.size
  }

  /** One-time prekey pairs handed out and not used yet. */
  get claimedPairs(): number {
    let claimed = 0
    for (const p of this.#oneTime.values()) if (p.kind === 'one-time' && p.claimedAt !== undefined) claimed++
    return claimed
  }

  #takeId(): number {
    if (this.#nextId >= MAX_PREKEY_ID) throw new RangeError('prekey ids exhausted')
    return this.#nextId++
  }

  #newest(kind: PrekeySecret['kind']): PrekeySecret | undefined {
    let best: PrekeySecret | undefined
    for (const p of this.#longTerm)
      if (p.kind === kind && (best === undefined || p.createdAt > best.createdAt)) best = p
    return best
  }

  /**
   * Make sure a current signed prekey, a last-resort KEM prekey and full one-time pools exist;
   * rotate the signed prekey weekly and drop rotated ones after the grace period, and claimed
   * one-time prekeys nobody used within it. Returns true when the bundle must be re-published.
   */
  async maintain(now: number): Promise<boolean> {
    const next = [...this.#longTerm]
    let changed = false
    const signed = this.#newest('signed')
    if (signed === undefined || now - signed.createdAt >= SIGNED_PREKEY_ROTATION_MS) {
      const pair = this.#suite.x25519Generate()
      next.push({
        kind: 'signed',
        id: this.#takeId(),
        publicKey: pair.publicKey,
        secretKey: pair.secretKey,
        createdAt: now,
      })
      changed = true
    }
    const current = signed === undefined || changed ? next[next.length - 1] : signed
    const kept = next.filter(
      (p) =>
        p.kind !== 'signed' ||
        p === current ||
        now - p.createdAt < SIGNED_PREKEY_ROTATION_MS + SIGNED_PREKEY_GRACE_MS,
    )
    if (kept.length !== next.length) changed = true
    if (!kept.some((p) => p.kind === 'kem' && p.lastResort === true)) {
      const pair = this.#suite.mlkemGenerate()
      kept.push({
        kind: 'kem',
        id: this.#takeId(),
        publicKey: pair.publicKey,
        secretKey: pair.secretKey,
        createdAt: now,
        lastResort: true,
      })
      changed = true
    }
    if (changed) {
      await this.#persistLongTerm(kept)
      this.#longTerm = kept
    }
    // claimed one-time prekeys nobody used within the grace period go
    const expired = [...this.#oneTime.values()]
      .filter(
        (p) =>
          p.claimedAt !== undefined && now - p.createdAt > SIGNED_PREKEY_ROTATION_MS + SIGNED_PREKEY_GRACE_MS,
      )
      .map((p) => p.id)
    await this.#refill(now, expired)
    return changed
  }

  /** Top the unclaimed pools up when below the low-water mark; delete `del` in the same write. */
  async #refill(now: number, del: number[] = []): Promise<void> {
    const put: OneTimePrekeyRecord[] = []
    for (const kind of ['one-time', 'kem-one-time'] as const) {
      const have = this.available(kind)
      if (have >= ONE_TIME_PREKEY_LOW_WATER) continue
      for (let i = have; i < ONE_TIME_PREKEY_POOL; i++) {
        const pair = kind === 'one-time' ? this.#suite.x25519Generate() : this.#suite.mlkemGenerate()
        put.push({
          kind,
          id: this.#takeId(),
          publicKey: pair.publicKey,
          secretKey: pair.secretKey,
          createdAt: now,
        })
      }
    }
    if (put.length === 0 && del.length === 0) return
    await this.#write(put, del)
  }

  async #write(put: OneTimePrekeyRecord[], del: number[]): Promise<void> {
    await this.#store.write(put, del, this.#nextId)
    for (const id of del) this.#oneTime.delete(id)
    for (const record of put) this.#oneTime.set(record.id, record)
  }

  /** Claimed pairs beyond MAX_CLAIMED_PREKEY_PAIRS once `adding` more are claimed: the oldest. */
  #overCap(adding: number): number[] {
    const claimed = [...this.#oneTime.values()].filter((p) => p.claimedAt !== undefined)
    const pairs = claimed.filter((p) => p.kind === 'one-time').length
    const excess = pairs + adding - MAX_CLAIMED_PREKEY_PAIRS
    if (excess <= 0) return []
    const drop: number[] = []
    for (const kind of ['one-time', 'kem-one-time'] as const) {
      const oldest = claimed
        .filter((p) => p.kind === kind)
        .sort((a, b) => a.createdAt - b.createdAt || a.id - b.id)
      drop.push(...oldest.slice(0, excess).map((p) => p.id))
    }
    return drop
  }

  /** The signed prekey and last-resort KEM prekey for the bundle (maintain() must have run). */
  bundlePrekeys(): { signedPrekey: SignedPrekey; kemPrekey: SignedKemPrekey } {
    const signed = this.#newest('signed')
    const kem = this.#longTerm.find((p) => p.kind === 'kem' && p.lastResort === true)
    if (signed === undefined || kem === undefined)
      throw new Error('prekeys not initialised: call maintain() first')
    return {
      signedPrekey: signPrekey(this.#suite, this.#identity, signed.id, signed.publicKey),
      kemPrekey: signKemPrekey(this.#suite, this.#identity, kem.id, kem.publicKey, true),
    }
  }

  /** Unclaimed one-time prekeys of a kind. */
  available(kind: 'one-time' | 'kem-one-time'): number {
    let n = 0
    for (const p of this.#oneTime.values()) if (p.kind === kind && p.claimedAt === undefined) n++
    return n
  }

  /**
   * Hand out one one-time prekey of each kind, or null when none is left. Each is marked claimed
   * (written) before it leaves, so it is handed out once; its secret stays until a prekey
   * message uses it (or MAX_CLAIMED_PREKEY_PAIRS pushes it out). The pool is topped up in the
   * same write when it runs low. Callers serialise claims (the messenger holds its lock) and
   * rate-limit them (claim-limiter.ts).
   */
  async claim(now: number): Promise<ClaimedPrekeys | null> {
    await this.#refill(now) // a pool left short (by an earlier crash, or older state) fills first
    let otp: OneTimePrekeyRecord | undefined
    let kem: OneTimePrekeyRecord | undefined
    for (const p of this.#oneTime.values()) {
      if (p.claimedAt !== undefined) continue
      if (p.kind === 'one-time') otp ??= p
      else kem ??= p
    }
    if (otp === undefined || kem === undefined) return null
    await this.#write(
      [
        { ...otp, claimedAt: now },
        { ...kem, claimedAt: now },
      ],
      this.#overCap(1),
    )
    await this.#refill(now)
    return {
      oneTimePrekey: encodeOneTimePrekey({ id: otp.id, publicKey: otp.publicKey }),
      oneTimeKemPrekey: encodeSignedKemPrekey(
        signKemPrekey(this.#suite, this.#identity, kem.id, kem.publicKey, false),
      ),
    }
  }

  /**
   * Make `count` fresh one-time prekey pairs (X25519 + signed ML-KEM) for a mailbox to hand out:
   * they are claimed from the start (never served again by this device) and their secrets stay
   * until a prekey message uses them. Returns one encoded item per pair (PrekeyResponse format).
   */
  async handOut(count: number, now: number): Promise<Uint8Array[]> {
    const put: OneTimePrekeyRecord[] = []
    const items: Uint8Array[] = []
    for (let i = 0; i < count; i++) {
      const otp = this.#suite.x25519Generate()
      const kem = this.#suite.mlkemGenerate()
      const otpId = this.#takeId()
      const kemId = this.#takeId()
      put.push(
        {
          kind: 'one-time',
          id: otpId,
          publicKey: otp.publicKey,
          secretKey: otp.secretKey,
          createdAt: now,
          claimedAt: now,
        },
        {
          kind: 'kem-one-time',
          id: kemId,
          publicKey: kem.publicKey,
          secretKey: kem.secretKey,
          createdAt: now,
          claimedAt: now,
        },
      )
      items.push(
        encodePrekeyResponse(
          encodeOneTimePrekey({ id: otpId, publicKey: otp.publicKey }),
          encodeSignedKemPrekey(signKemPrekey(this.#suite, this.#identity, kemId, kem.publicKey, false)),
        ),
      )
    }
    await this.#write(put, this.#overCap(count))
    return items
  }

  /** Lookups for acceptPrekeyMessage. */
  secrets(): PrekeySecrets {
    const pair = (p: PrekeySecret | undefined): KeyPair | undefined =>
      p === undefined ? undefined : { publicKey: p.publicKey, secretKey: p.secretKey }
    const oneTime = (kind: OneTimePrekeyRecord['kind'], id: number) => {
      const p = this.#oneTime.get(id)
      return p?.kind === kind ? pair(p) : undefined
    }
    return {
      signedPrekey: (id) => pair(this.#longTerm.find((p) => p.kind === 'signed' && p.id === id)),
      kemPrekey: (id, isOneTime) =>
        isOneTime
          ? oneTime('kem-one-time', id)
          : pair(this.#longTerm.find((p) => p.kind === 'kem' && p.id === id)),
      oneTimePrekey: (id) => oneTime('one-time', id),
    }
  }

  /** Delete one-time prekeys a new session used up. */
  async consume(oneTimePrekeyId: number | null, oneTimeKemPrekeyId: number | null): Promise<void> {
    const del: number[] = []
    if (oneTimePrekeyId !== null && this.#oneTime.get(oneTimePrekeyId)?.kind === 'one-time')
      del.push(oneTimePrekeyId)
    if (oneTimeKemPrekeyId !== null && this.#oneTime.get(oneTimeKemPrekeyId)?.kind === 'kem-one-time')
      del.push(oneTimeKemPrekeyId)
    if (del.length > 0) await this.#write([], del)
  }
}
