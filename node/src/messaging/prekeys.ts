/**
 * This device's prekeys: the signed X25519 prekey and last-resort ML-KEM prekey published in the
 * bundle, and pools of one-time X25519 and ML-KEM prekeys handed out once each (over
 * /wren/prekey when this device is online; through mailboxes with the relay work).
 *
 * Secrets live in the passphrase-sealed keystore; every change is written back through
 * `persist` before it takes effect, so a crash never reuses a one-time prekey.
 */
import type { CryptoSuite, KeyPair } from '../../../core/src/crypto/suite.ts'
import type { IdentityKeyPair } from '../../../core/src/identity.ts'
import {
  encodeOneTimePrekey,
  encodeSignedKemPrekey,
  type SignedKemPrekey,
  type SignedPrekey,
  signKemPrekey,
  signPrekey,
} from '../../../core/src/prekey-bundle.ts'
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
const MAX_PREKEY_ID = 0xffff_ffff

export interface ClaimedPrekeys {
  oneTimePrekey: Uint8Array
  oneTimeKemPrekey: Uint8Array
}

export class PrekeyManager {
  readonly #suite: CryptoSuite
  readonly #identity: IdentityKeyPair
  readonly #persist: (prekeys: readonly PrekeySecret[]) => Promise<void>
  readonly #persistClaimed: (ids: readonly number[]) => Promise<void>
  #prekeys: PrekeySecret[]
  /** One-time prekeys handed out but not yet used by a prekey message: never handed out again. */
  #claimed: Set<number>

  constructor(
    suite: CryptoSuite,
    identity: IdentityKeyPair,
    prekeys: readonly PrekeySecret[],
    persist: (prekeys: readonly PrekeySecret[]) => Promise<void>,
    claimed: readonly number[] = [],
    persistClaimed: (ids: readonly number[]) => Promise<void> = async () => {},
  ) {
    this.#suite = suite
    this.#identity = identity
    this.#prekeys = [...prekeys]
    this.#persist = persist
    this.#claimed = new Set(claimed)
    this.#persistClaimed = persistClaimed
  }

  get all(): readonly PrekeySecret[] {
    return this.#prekeys
  }

  #nextId(): number {
    let max = 0
    for (const p of this.#prekeys) if (p.id > max) max = p.id
    if (max >= MAX_PREKEY_ID) throw new RangeError('prekey ids exhausted')
    return max + 1
  }

  #newest(kind: PrekeySecret['kind']): PrekeySecret | undefined {
    let best: PrekeySecret | undefined
    for (const p of this.#prekeys)
      if (p.kind === kind && (best === undefined || p.createdAt > best.createdAt)) best = p
    return best
  }

  /**
   * Make sure a current signed prekey, a last-resort KEM prekey and full one-time pools exist;
   * rotate the signed prekey weekly and drop rotated ones after the grace period.
   * Returns true when anything changed (the bundle must then be re-published).
   */
  async maintain(now: number): Promise<boolean> {
    const next = [...this.#prekeys]
    let changed = false
    let id = this.#nextId()
    const signed = this.#newest('signed')
    if (signed === undefined || now - signed.createdAt >= SIGNED_PREKEY_ROTATION_MS) {
      const pair = this.#suite.x25519Generate()
      next.push({
        kind: 'signed',
        id: id++,
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
        id: id++,
        publicKey: pair.publicKey,
        secretKey: pair.secretKey,
        createdAt: now,
        lastResort: true,
      })
      changed = true
    }
    // claimed prekeys nobody used within the grace period are dropped
    for (let i = kept.length - 1; i >= 0; i--) {
      const p = kept[i] as PrekeySecret
      if (this.#claimed.has(p.id) && now - p.createdAt > SIGNED_PREKEY_ROTATION_MS + SIGNED_PREKEY_GRACE_MS) {
        kept.splice(i, 1)
        changed = true
      }
    }
    for (const kind of ['one-time', 'kem-one-time'] as const) {
      const have = kept.filter((p) => p.kind === kind && !this.#claimed.has(p.id)).length
      if (have < ONE_TIME_PREKEY_LOW_WATER) {
        for (let i = have; i < ONE_TIME_PREKEY_POOL; i++) {
          const pair = kind === 'one-time' ? this.#suite.x25519Generate() : this.#suite.mlkemGenerate()
          kept.push({ kind, id: id++, publicKey: pair.publicKey, secretKey: pair.secretKey, createdAt: now })
        }
        changed = true
      }
    }
    if (changed) await this.#commit(kept)
    return changed
  }

  async #commit(next: PrekeySecret[]): Promise<void> {
    await this.#persist(next)
    this.#prekeys = next
  }

  /** The signed prekey and last-resort KEM prekey for the bundle (maintain() must have run). */
  bundlePrekeys(): { signedPrekey: SignedPrekey; kemPrekey: SignedKemPrekey } {
    const signed = this.#newest('signed')
    const kem = this.#prekeys.find((p) => p.kind === 'kem' && p.lastResort === true)
    if (signed === undefined || kem === undefined)
      throw new Error('prekeys not initialised: call maintain() first')
    return {
      signedPrekey: signPrekey(this.#suite, this.#identity, signed.id, signed.publicKey),
      kemPrekey: signKemPrekey(this.#suite, this.#identity, kem.id, kem.publicKey, true),
    }
  }

  /** Unclaimed one-time prekeys of a kind. */
  available(kind: 'one-time' | 'kem-one-time'): number {
    return this.#prekeys.filter((p) => p.kind === kind && !this.#claimed.has(p.id)).length
  }

  /**
   * Hand out one one-time prekey of each kind, or null when none is left. Each is marked claimed
   * (persisted) before it leaves, so it is handed out once; its secret stays until a prekey
   * message uses it. Callers serialise claims (the messenger holds its lock).
   */
  async claim(): Promise<ClaimedPrekeys | null> {
    const otp = this.#prekeys.find((p) => p.kind === 'one-time' && !this.#claimed.has(p.id))
    const kem = this.#prekeys.find((p) => p.kind === 'kem-one-time' && !this.#claimed.has(p.id))
    if (otp === undefined || kem === undefined) return null
    const claimed = new Set(this.#claimed).add(otp.id).add(kem.id)
    await this.#persistClaimed([...claimed])
    this.#claimed = claimed
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
    const next = [...this.#prekeys]
    const claimed = new Set(this.#claimed)
    const items: Uint8Array[] = []
    let id = this.#nextId()
    for (let i = 0; i < count; i++) {
      const otp = this.#suite.x25519Generate()
      const kem = this.#suite.mlkemGenerate()
      const otpId = id++
      const kemId = id++
      next.push({
        kind: 'one-time',
        id: otpId,
        publicKey: otp.publicKey,
        secretKey: otp.secretKey,
        createdAt: now,
      })
      next.push({
        kind: 'kem-one-time',
        id: kemId,
        publicKey: kem.publicKey,
        secretKey: kem.secretKey,
        createdAt: now,
      })
      claimed.add(otpId).add(kemId)
      items.push(
        encodePrekeyResponse(
          encodeOneTimePrekey({ id: otpId, publicKey: otp.publicKey }),
          encodeSignedKemPrekey(signKemPrekey(this.#suite, this.#identity, kemId, kem.publicKey, false)),
        ),
      )
    }
    await this.#persistClaimed([...claimed])
    this.#claimed = claimed
    await this.#commit(next)
    return items
  }

  /** Lookups for acceptPrekeyMessage. */
  secrets(): PrekeySecrets {
    const find = (kind: PrekeySecret['kind'], id: number): KeyPair | undefined => {
      const p = this.#prekeys.find((x) => x.kind === kind && x.id === id)
      return p === undefined ? undefined : { publicKey: p.publicKey, secretKey: p.secretKey }
    }
    return {
      signedPrekey: (id) => find('signed', id),
      kemPrekey: (id, oneTime) => (oneTime ? find('kem-one-time', id) : find('kem', id)),
      oneTimePrekey: (id) => find('one-time', id),
    }
  }

  /** Delete one-time prekeys a new session used up. */
  async consume(oneTimePrekeyId: number | null, oneTimeKemPrekeyId: number | null): Promise<void> {
    if (oneTimePrekeyId === null && oneTimeKemPrekeyId === null) return
    const claimed = new Set(this.#claimed)
    if (oneTimePrekeyId !== null) claimed.delete(oneTimePrekeyId)
    if (oneTimeKemPrekeyId !== null) claimed.delete(oneTimeKemPrekeyId)
    await this.#commit(
      this.#prekeys.filter(
        (p) =>
          !(p.kind === 'one-time' && p.id === oneTimePrekeyId) &&
          !(p.kind === 'kem-one-time' && p.id === oneTimeKemPrekeyId),
      ),
    )
    if (claimed.size !== this.#claimed.size) {
      await this.#persistClaimed([...claimed])
      this.#claimed = claimed
    }
  }
}
