/**
 * Shared setup for the identity-layer tests: a user with one device, its prekeys and a signed
 * bundle, all from a seeded suite so every run uses the same keys.
 */
import { concatBytes } from '../src/bytes.ts'
import type { CryptoSuite, KeyPair } from '../src/crypto/suite.ts'
import { signDeviceCertificate } from '../src/device-certificate.ts'
import { generateIdentityKeyPair, type IdentityKeyPair } from '../src/identity.ts'
import {
  type MailboxHint,
  type OneTimePrekey,
  type PrekeyBundle,
  type SignedKemPrekey,
  signKemPrekey,
  signPrekey,
  signPrekeyBundle,
} from '../src/prekey-bundle.ts'

/** A fixed "now" for tests (2025-01-01T00:00:00Z). */
export const NOW = Date.UTC(2025, 0, 1)

/** Bytes shaped like a libp2p Ed25519 PeerId (identity multihash of the protobuf public key). */
export function fakePeerId(publicKey: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(0x00, 0x24, 0x08, 0x01, 0x12, 0x20), publicKey)
}

export interface TestDevice {
  identity: IdentityKeyPair
  device: KeyPair
  signedPrekey: KeyPair
  kemPrekey: KeyPair
  oneTimePrekey: KeyPair
  oneTimeKemPrekey: KeyPair
  bundle: PrekeyBundle
  publicOneTimePrekey: OneTimePrekey
  signedOneTimeKemPrekey: SignedKemPrekey
}

export function makeMailboxes(suite: CryptoSuite, count: number): MailboxHint[] {
  return Array.from({ length: count }, (_, i) => ({
    relayPeerId: fakePeerId(suite.randomBytes(32)),
    inboxId: suite.randomBytes(32),
    addrs: [Uint8Array.of(0x04, 127, 0, 0, 1, 0x06, 0x0f, 0xa0 + i)],
  }))
}

export function makeDevice(suite: CryptoSuite, createdAt = NOW): TestDevice {
  const identity = generateIdentityKeyPair(suite)
  const device = suite.ed25519Generate()
  const signedPrekey = suite.x25519Generate()
  const kemPrekey = suite.mlkemGenerate()
  const oneTimePrekey = suite.x25519Generate()
  const oneTimeKemPrekey = suite.mlkemGenerate()
  const deviceCertificate = signDeviceCertificate(suite, identity, {
    devicePeerId: fakePeerId(device.publicKey),
    deviceKey: device.publicKey,
    createdAt,
  })
  const bundle = signPrekeyBundle(suite, identity, {
    deviceCertificate,
    signedPrekey: signPrekey(suite, identity, 7, signedPrekey.publicKey),
    kemPrekey: signKemPrekey(suite, identity, 9, kemPrekey.publicKey, true),
    mailboxes: makeMailboxes(suite, 3),
    createdAt,
  })
  return {
    identity,
    device,
    signedPrekey,
    kemPrekey,
    oneTimePrekey,
    oneTimeKemPrekey,
    bundle,
    publicOneTimePrekey: { id: 101, publicKey: oneTimePrekey.publicKey },
    signedOneTimeKemPrekey: signKemPrekey(suite, identity, 202, oneTimeKemPrekey.publicKey, false),
  }
}
