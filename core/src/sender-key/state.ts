/**
 * Sender Key state and the symmetric chain (Signal's SenderChainKey / SenderMessageKey):
 *   seed_i = HMAC-SHA256(ck_i, 0x01)      message-key seed for iteration i
 *   ck_i+1 = HMAC-SHA256(ck_i, 0x02)      next chain key
 *   HKDF-SHA256(seed_i, salt = ∅, info = 'wren/sender-key/message/v1', 44) → AES-256-GCM key ‖ nonce
 *
 * States are immutable values: every operation returns a new state and never changes its input,
 * so a caller can persist the result (or drop it) transactionally. Unchanged parts, such as the
 * skipped-key map of an in-order chain, are shared between the old and new state, not copied.
 */
import type { CryptoSuite } from '../crypto/suite.ts'
import { AES_GCM_KEY_BYTES, AES_GCM_NONCE_BYTES } from '../crypto/suite.ts'
import { SENDER_KEY_MESSAGE_INFO } from './constants.ts'

/** One sender chain: a chain id, its ratcheting chain key and the key that signs its messages. */
export interface SenderChain {
  /** Random uint32 chosen by the sender; a rotation picks a new one. */
  readonly chainId: number
  /** Iteration of `chainKey`, i.e. the iteration of the next message on this chain. */
  readonly iteration: number
  readonly chainKey: Uint8Array
  /** Ed25519 public key that signs every message of this chain. */
  readonly signingPublicKey: Uint8Array
  /** Ed25519 seed; present only in the sender's own state, never in a receiver's copy. */
  readonly signingSecretKey?: Uint8Array
  /** Message-key seeds of skipped iterations (below `iteration`), ascending insertion order. */
  readonly skipped: ReadonlyMap<number, Uint8Array>
}

/** Per-sender Sender Key state for one distribution (a group epoch). */
export interface SenderKeyState {
  /** 16-byte distribution id (the group epoch's sender-key id). */
  readonly distributionId: Uint8Array
  /** chains[0] is the current chain; a receiver keeps up to MAX_SENDER_KEY_PREVIOUS_CHAINS older ones. */
  readonly chains: readonly SenderChain[]
}

export const EMPTY_SKIPPED: ReadonlyMap<number, Uint8Array> = new Map()

const MESSAGE_KEY_SEED_INPUT = Uint8Array.of(0x01)
const CHAIN_KEY_SEED_INPUT = Uint8Array.of(0x02)
const HKDF_SALT = new Uint8Array(0)
const MESSAGE_KEY_MATERIAL_BYTES = AES_GCM_KEY_BYTES + AES_GCM_NONCE_BYTES

export function messageSeed(suite: CryptoSuite, chainKey: Uint8Array): Uint8Array {
  return suite.hmacSha256(chainKey, MESSAGE_KEY_SEED_INPUT)
}

export function nextChainKey(suite: CryptoSuite, chainKey: Uint8Array): Uint8Array {
  return suite.hmacSha256(chainKey, CHAIN_KEY_SEED_INPUT)
}

/** AES-256-GCM key and nonce for one message (views into one 44-byte HKDF output). */
export function messageKeys(suite: CryptoSuite, seed: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
  const material = suite.hkdf(seed, HKDF_SALT, SENDER_KEY_MESSAGE_INFO, MESSAGE_KEY_MATERIAL_BYTES)
  return {
    key: material.subarray(0, AES_GCM_KEY_BYTES),
    nonce: material.subarray(AES_GCM_KEY_BYTES, MESSAGE_KEY_MATERIAL_BYTES),
  }
}

/**
 * Associated data of a message's AEAD: distribution id ‖ chain id ‖ iteration (big-endian), so a
 * ciphertext is bound to its header even apart from the signature.
 */
export function messageAad(distributionId: Uint8Array, chainId: number, iteration: number): Uint8Array {
  const n = distributionId.length
  const aad = new Uint8Array(n + 8)
  aad.set(distributionId, 0)
  // big-endian uint32s, written byte by byte (no DataView per message)
  for (let i = 0; i < 4; i++) {
    aad[n + i] = (chainId >>> (24 - 8 * i)) & 0xff
    aad[n + 4 + i] = (iteration >>> (24 - 8 * i)) & 0xff
  }
  return aad
}

/** Random uint32 from the suite's randomness. */
export function randomChainId(suite: CryptoSuite): number {
  const bytes = suite.randomBytes(4)
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, false)
}

/** A new state whose chain at `index` is replaced; the other chains are shared. */
export function replaceChain(state: SenderKeyState, index: number, chain: SenderChain): SenderKeyState {
  const chains = state.chains.slice()
  chains[index] = chain
  return { distributionId: state.distributionId, chains }
}
