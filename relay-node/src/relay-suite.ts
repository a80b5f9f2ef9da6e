/**
 * The relay's CryptoSuite: the portable noble suite with SHA-256 and randomness from node:crypto
 * (byte-identical results; hashing every deposited envelope is the relay's hot path). relay-node
 * may not import node/, where the full node:crypto suite lives.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createNobleSuite } from '../../core/src/crypto/noble-suite.ts'
import type { CryptoSuite } from '../../core/src/crypto/suite.ts'

export function createRelaySuite(): CryptoSuite {
  const noble = createNobleSuite((length) => new Uint8Array(randomBytes(length)))
  return {
    ...noble,
    name: 'relay (noble + node:crypto sha256)',
    sha256: (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest()),
  }
}
