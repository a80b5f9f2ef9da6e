/** Shared setup for the ratchet tests: a seeded session pair without PQXDH (random SK and AD). */

import { seededSuite } from '../../test/fixtures/seeded-random.ts'
import type { CryptoSuite } from '../src/crypto/suite.ts'
import { RatchetMessage } from '../src/proto/ratchet.ts'
import { initAsInitiator, initAsResponder, type RatchetState } from '../src/ratchet/index.ts'

export interface RatchetPair {
  suite: CryptoSuite
  alice: RatchetState
  bob: RatchetState
}

export function ratchetPair(
  seed: number | string,
  suite: CryptoSuite = seededSuite(`ratchet:${seed}`),
): RatchetPair {
  const sharedSecret = suite.randomBytes(32)
  const associatedData = suite.randomBytes(64)
  const bobPrekey = suite.x25519Generate()
  return {
    suite,
    alice: initAsInitiator(suite, { sharedSecret, associatedData, remoteRatchetKey: bobPrekey.publicKey }),
    bob: initAsResponder(suite, { sharedSecret, associatedData, ourRatchetKeyPair: bobPrekey }),
  }
}

/** Re-encode a wire message with some fields replaced (a tampering network). */
export function rewriteMessage(message: Uint8Array, change: Partial<RatchetMessage>): Uint8Array {
  return RatchetMessage.encode({ ...RatchetMessage.decode(message), ...change })
}

/** A copy with one bit flipped at `bit` (0 = lowest bit of byte 0). */
export function flipBit(bytes: Uint8Array, bit: number): Uint8Array<ArrayBuffer> {
  const out = bytes.slice()
  const at = Math.floor(bit / 8) % out.length
  out[at] = (out[at] as number) ^ (1 << (bit % 8))
  return out
}

export function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer
    return true
  }
  return false
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s)
