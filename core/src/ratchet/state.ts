/**
 * In-memory Double Ratchet state (spec §3.2) and its copy-on-write skipped-key helpers.
 *
 * States are immutable values: every operation returns a new state that shares all unchanged
 * parts (chain objects, skipped-key maps, key bytes) with its input, and copies only what the
 * step changes. So a failed decrypt leaves the caller's state untouched for free, and an in-order
 * message costs no map copies at all.
 */
import type { CryptoSuite, KeyPair } from '../crypto/suite.ts'
import { MAX_RECEIVER_CHAINS, MAX_SKIP_PER_CHAIN, MAX_SKIPPED_KEYS_TOTAL } from './constants.ts'
import { chainMessageKey, nextChainKey } from './kdf.ts'

/** Skipped message keys of one chain by message number; insertion order is ascending (oldest first). */
export type SkippedKeys = ReadonlyMap<number, Uint8Array>

export interface SendingChain {
  /** CKs: the chain key of the next message. */
  readonly chainKey: Uint8Array
  /** Ns: the next message number. */
  readonly index: number
}

export interface ReceivingChain {
  /** DHr: the peer's ratchet public key for this chain. */
  readonly ratchetKey: Uint8Array
  /** CKr: the chain key of the next expected message. */
  readonly chainKey: Uint8Array
  /** Nr: the next expected message number. */
  readonly index: number
  readonly skipped: SkippedKeys
}

/** A receiving chain the peer has moved past: only its unused skipped keys remain. */
export interface PreviousChain {
  readonly ratchetKey: Uint8Array
  /** Number of messages the chain had (header.pn when it ended): lower numbers without a key were used. */
  readonly length: number
  readonly skipped: SkippedKeys
}

export interface RatchetState {
  /** Session associated data (PQXDH: initiator IK ‖ responder IK), prefixed to every header's AAD. */
  readonly associatedData: Uint8Array
  /** RK */
  readonly rootKey: Uint8Array
  /** DHs */
  readonly sendingRatchetKey: KeyPair
  /** null for a responder until its first DH ratchet step. */
  readonly sendingChain: SendingChain | null
  /** PN: the length of our previous sending chain. */
  readonly previousCounter: number
  /** null for an initiator until the peer's first message. */
  readonly receivingChain: ReceivingChain | null
  /** Old receiving chains, oldest first, at most MAX_RECEIVER_CHAINS. */
  readonly previousChains: readonly PreviousChain[]
}

export const NO_SKIPPED_KEYS: SkippedKeys = new Map()

export interface ChainAdvance {
  /** The message key of message number `until`. */
  readonly messageKey: Uint8Array
  /** The chain key after `until`. */
  readonly chainKey: Uint8Array
  /** `skipped` plus the keys of from..until-1 (a new map only when keys were added). */
  readonly skipped: SkippedKeys
}

/**
 * Walk a chain from message number `from` to `until` (spec §3.5 SkipMessageKeys + KDF_CK): the
 * keys passed over are stored as skipped (at most MAX_SKIP_PER_CHAIN per chain, oldest evicted);
 * the caller has already checked `until - from` against MAX_SKIP_PER_CHAIN.
 */
export function advanceChain(
  suite: CryptoSuite,
  chainKey: Uint8Array,
  from: number,
  until: number,
  skipped: SkippedKeys,
): ChainAdvance {
  let ck = chainKey
  let out = skipped
  if (until > from) {
    const next = new Map(skipped)
    for (let n = from; n < until; n++) {
      next.set(n, chainMessageKey(suite, ck))
      ck = nextChainKey(suite, ck)
    }
    evictOldest(next, next.size - MAX_SKIP_PER_CHAIN)
    out = next
  }
  return { messageKey: chainMessageKey(suite, ck), chainKey: nextChainKey(suite, ck), skipped: out }
}

/** Skipped keys (ending at `until`) of a finished chain, without walking past `until`. */
export function finishChain(suite: CryptoSuite, chain: ReceivingChain, until: number): PreviousChain {
  if (until <= chain.index)
    return { ratchetKey: chain.ratchetKey, length: chain.index, skipped: chain.skipped }
  const next = new Map(chain.skipped)
  let ck = chain.chainKey
  for (let n = chain.index; n < until; n++) {
    next.set(n, chainMessageKey(suite, ck))
    // The last chain key is never needed again: skip deriving it.
    if (n + 1 < until) ck = nextChainKey(suite, ck)
  }
  evictOldest(next, next.size - MAX_SKIP_PER_CHAIN)
  return { ratchetKey: chain.ratchetKey, length: until, skipped: next }
}

/** A copy of `skipped` without message number n (the key is used: forward secrecy). */
export function withoutKey(skipped: SkippedKeys, n: number): SkippedKeys {
  const next = new Map(skipped)
  next.delete(n)
  return next
}

/** Append a finished chain, forgetting the oldest beyond MAX_RECEIVER_CHAINS. */
export function appendPreviousChain(
  chains: readonly PreviousChain[],
  chain: PreviousChain,
): readonly PreviousChain[] {
  const all = [...chains, chain]
  return all.length > MAX_RECEIVER_CHAINS ? all.slice(all.length - MAX_RECEIVER_CHAINS) : all
}

export function countSkippedKeys(state: RatchetState): number {
  let total = state.receivingChain?.skipped.size ?? 0
  for (const chain of state.previousChains) total += chain.skipped.size
  return total
}

/**
 * Enforce MAX_SKIPPED_KEYS_TOTAL by evicting the oldest keys first: old chains in order, then the
 * current chain; within a chain, lowest message number first. Copies only the maps it trims.
 */
export function boundSkippedKeys(state: RatchetState): RatchetState {
  let excess = countSkippedKeys(state) - MAX_SKIPPED_KEYS_TOTAL
  if (excess <= 0) return state
  const previousChains = state.previousChains.map((chain) => {
    if (excess <= 0 || chain.skipped.size === 0) return chain
    const next = new Map(chain.skipped)
    excess -= evictOldest(next, excess)
    return { ...chain, skipped: next }
  })
  let receivingChain = state.receivingChain
  if (excess > 0 && receivingChain !== null) {
    const next = new Map(receivingChain.skipped)
    excess -= evictOldest(next, excess)
    receivingChain = { ...receivingChain, skipped: next }
  }
  return { ...state, previousChains, receivingChain }
}

/** Delete up to `count` oldest entries in place; returns how many were deleted. */
function evictOldest(map: Map<number, Uint8Array>, count: number): number {
  let deleted = 0
  for (const n of map.keys()) {
    if (deleted >= count) break
    map.delete(n)
    deleted++
  }
  return deleted
}
