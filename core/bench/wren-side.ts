/**
 * The Wren side of the crypto benchmark: core/ with the suite the entry point passes in (the
 * node:crypto suite, what the daemon runs, from node/bench/crypto.bench.ts).
 * Each case does the same protocol work as its libsignal twin in libsignal-side.ts: the same
 * keys generated and signed, the same messages serialized and parsed. Session states are kept
 * as values in memory, as libsignal's in-memory stores keep its records.
 */

import {
  AES_GCM_KEY_BYTES,
  AES_GCM_NONCE_BYTES,
  type CryptoSuite,
  ED25519_SIGNATURE_BYTES,
  type KeyPair,
} from '../src/crypto/suite.ts'
import { signDeviceCertificate } from '../src/device-certificate.ts'
import { decodePrekeyMessage, encodePrekeyMessage } from '../src/envelope.ts'
import { generateIdentityKeyPair, type IdentityKeyPair, userIdFromIdentityKey } from '../src/identity.ts'
import { pqxdhInitiate, pqxdhRespond } from '../src/pqxdh.ts'
import { signKemPrekey, signPrekey, signPrekeyBundle, verifyPrekeyBundle } from '../src/prekey-bundle.ts'
import {
  decodeOneTimePrekey,
  decodePrekeyBundle,
  encodeOneTimePrekey,
  encodePrekeyBundle,
} from '../src/prekey-bundle-codec.ts'
import {
  initAsInitiator,
  initAsResponder,
  type RatchetState,
  ratchetDecrypt,
  ratchetEncrypt,
} from '../src/ratchet/index.ts'
import { fingerprintDigits, safetyNumber } from '../src/safety-number.ts'
import {
  createSenderKey,
  processSenderKeyDistribution,
  senderKeyDecrypt,
  senderKeyDistribution,
  senderKeyEncrypt,
} from '../src/sender-key.ts'
import type { BenchOp, BenchSide, RatchetCase, SafetyNumberInput } from './bench-side.ts'

/** Prefix of a Curve25519 public key in libsignal's serialization (DJB type byte). */
const DJB_KEY_TYPE = 0x05
const SIGNED_PREKEY_ID = 1
const KEM_PREKEY_ID = 2
const ONE_TIME_PREKEY_ID = 3
/** Length of a libp2p Ed25519 PeerId in bytes (identity multihash of the protobuf public key). */
const PEER_ID_BYTES = 38
const DISTRIBUTION_ID_BYTES = 16

interface Device {
  readonly identity: IdentityKeyPair
  /** Signed once per device, outside the timed loops (a certificate is long-lived). */
  readonly certificate: ReturnType<typeof signDeviceCertificate>
}

function createDevice(suite: CryptoSuite): Device {
  const identity = generateIdentityKeyPair(suite)
  const deviceKey = suite.ed25519Generate()
  const certificate = signDeviceCertificate(suite, identity, {
    devicePeerId: suite.randomBytes(PEER_ID_BYTES),
    deviceKey: deviceKey.publicKey,
    createdAt: Date.now(),
  })
  return { identity, certificate }
}

interface Session {
  alice: RatchetState
  bob: RatchetState
}

/**
 * Bob publishes fresh prekeys (signed X25519, signed last-resort ML-KEM-768, one one-time X25519)
 * in a signed bundle; Alice decodes and verifies it, runs PQXDH, sends the first message (PQXDH
 * header + ratchet message, encoded); Bob decodes it, responds, decrypts and replies; Alice
 * decrypts the reply.
 */
function setupSession(suite: CryptoSuite, alice: Device, bob: Device, plaintext: Uint8Array): Session {
  const now = Date.now()
  // Bob: prekeys and bundle.
  const signedPrekeyPair = suite.x25519Generate()
  const kemPrekeyPair = suite.mlkemGenerate()
  const oneTimePair = suite.x25519Generate()
  const bundleBytes = encodePrekeyBundle(
    signPrekeyBundle(suite, bob.identity, {
      deviceCertificate: bob.certificate,
      signedPrekey: signPrekey(suite, bob.identity, SIGNED_PREKEY_ID, signedPrekeyPair.publicKey),
      kemPrekey: signKemPrekey(suite, bob.identity, KEM_PREKEY_ID, kemPrekeyPair.publicKey, true),
      mailboxes: [],
      createdAt: now,
    }),
  )
  const oneTimeBytes = encodeOneTimePrekey({ id: ONE_TIME_PREKEY_ID, publicKey: oneTimePair.publicKey })

  // Alice: verify, PQXDH, first message.
  const bundle = decodePrekeyBundle(bundleBytes)
  verifyPrekeyBundle(suite, bundle, { now })
  const init = pqxdhInitiate(suite, {
    identity: alice.identity,
    bundle,
    oneTimePrekey: decodeOneTimePrekey(oneTimeBytes),
  })
  const first = ratchetEncrypt(
    suite,
    initAsInitiator(suite, {
      sharedSecret: init.sharedSecret,
      associatedData: init.associatedData,
      remoteRatchetKey: init.remoteRatchetKey,
    }),
    plaintext,
  )
  const firstBytes = encodePrekeyMessage({ header: init.header, message: first.message })

  // Bob: respond, decrypt, reply.
  const received = decodePrekeyMessage(firstBytes)
  const oneTime: KeyPair | undefined =
    received.header.oneTimePrekeyId === ONE_TIME_PREKEY_ID ? oneTimePair : undefined
  const resp = pqxdhRespond(suite, {
    identity: bob.identity,
    signedPrekey: signedPrekeyPair,
    kemPrekey: kemPrekeyPair,
    ...(oneTime !== undefined ? { oneTimePrekey: oneTime } : {}),
    header: received.header,
  })
  const bobStart = initAsResponder(suite, {
    sharedSecret: resp.sharedSecret,
    associatedData: resp.associatedData,
    ourRatchetKeyPair: signedPrekeyPair,
  })
  const opened = ratchetDecrypt(suite, bobStart, received.message)
  const reply = ratchetEncrypt(suite, opened.state, plaintext)

  // Alice: decrypt the reply.
  const aliceDone = ratchetDecrypt(suite, first.state, reply.message)
  return { alice: aliceDone.state, bob: reply.state }
}

/** A fresh suite of the kind measured (each caller gets its own, with its own key caches). */
export type SuiteFactory = () => CryptoSuite

/** The shared safety-number inputs: two fresh identities, their user ids and 0x05 ‖ X25519 keys. */
export function safetyNumberInput(makeSuite: SuiteFactory): SafetyNumberInput {
  const suite = makeSuite()
  const key33 = (identityKey: Uint8Array) => {
    const out = new Uint8Array(33)
    out[0] = DJB_KEY_TYPE
    out.set(suite.ed25519PublicToX25519(identityKey), 1)
    return out
  }
  const local = generateIdentityKeyPair(suite).publicKey
  const remote = generateIdentityKeyPair(suite).publicKey
  return {
    localId: userIdFromIdentityKey(suite, local),
    localIdentityKey: local,
    localKey33: key33(local),
    remoteId: userIdFromIdentityKey(suite, remote),
    remoteIdentityKey: remote,
    remoteKey33: key33(remote),
  }
}

export function wrenSafetyNumber(input: SafetyNumberInput, suite: CryptoSuite): string {
  return safetyNumber(
    suite,
    { id: input.localId, identityKey: input.localIdentityKey },
    { id: input.remoteId, identityKey: input.remoteIdentityKey },
  )
}

/**
 * The same number through the lower-level fingerprintDigits, fed the exact 33-byte keys handed to
 * libsignal (smaller 30-digit half first, as Signal displays it).
 */
export function wrenSafetyNumberFromDigits(input: SafetyNumberInput, suite: CryptoSuite): string {
  const local = fingerprintDigits(suite, input.localKey33, input.localId)
  const remote = fingerprintDigits(suite, input.remoteKey33, input.remoteId)
  return local <= remote ? local + remote : remote + local
}

/**
 * The floor of one group message: what a signed, encrypted Sender Key message cannot do
 * without — Ed25519 sign and verify of a body the size of the real one, AES-256-GCM encrypt and
 * decrypt of the plaintext with an AAD of the real size — on a fresh suite of the measured kind.
 */
export function groupFloor(makeSuite: SuiteFactory, size: number): BenchOp {
  const suite = makeSuite()
  const plaintext = new Uint8Array(size).fill(5)
  const sender = createSenderKey(suite, { distributionId: suite.randomBytes(DISTRIBUTION_ID_BYTES) })
  const { message } = senderKeyEncrypt(suite, sender, plaintext)
  const body = message.slice(0, message.length - ED25519_SIGNATURE_BYTES)
  const signing = suite.ed25519Generate()
  const key = suite.randomBytes(AES_GCM_KEY_BYTES)
  const nonce = suite.randomBytes(AES_GCM_NONCE_BYTES)
  const aad = suite.randomBytes(DISTRIBUTION_ID_BYTES + 8) // distribution id ‖ chain id ‖ iteration
  return () => {
    const sealed = suite.aesGcmEncrypt(key, nonce, plaintext, aad)
    const signature = suite.ed25519Sign(signing.secretKey, body)
    if (!suite.ed25519Verify(signing.publicKey, body, signature)) throw new Error('floor: signature rejected')
    return suite.aesGcmDecrypt(key, nonce, sealed, aad)
  }
}

export function createWrenSide(makeSuite: SuiteFactory): BenchSide {
  const suite = makeSuite()
  return {
    name: 'wren',

    async sessionSetup(): Promise<BenchOp> {
      const alice = createDevice(suite)
      const bob = createDevice(suite)
      const plaintext = new Uint8Array(64).fill(7)
      return () => setupSession(suite, alice, bob, plaintext)
    },

    async ratchet(c: RatchetCase): Promise<BenchOp> {
      const plaintext = new Uint8Array(c.size).fill(9)
      const s = setupSession(suite, createDevice(suite), createDevice(suite), plaintext)
      const aliceToBob = () => {
        const sent = ratchetEncrypt(suite, s.alice, plaintext)
        s.alice = sent.state
        const got = ratchetDecrypt(suite, s.bob, sent.message)
        s.bob = got.state
        return got.plaintext
      }
      const bobToAlice = () => {
        const sent = ratchetEncrypt(suite, s.bob, plaintext)
        s.bob = sent.state
        const got = ratchetDecrypt(suite, s.alice, sent.message)
        s.alice = got.state
        return got.plaintext
      }
      if (!c.alternate) return aliceToBob
      let turn = 0
      return () => (turn++ % 2 === 0 ? aliceToBob() : bobToAlice())
    },

    async group(size: number): Promise<BenchOp> {
      let sender = createSenderKey(suite, { distributionId: suite.randomBytes(DISTRIBUTION_ID_BYTES) })
      let receiver = processSenderKeyDistribution(suite, senderKeyDistribution(sender))
      const plaintext = new Uint8Array(size).fill(5)
      return () => {
        const sent = senderKeyEncrypt(suite, sender, plaintext)
        sender = sent.state
        const got = senderKeyDecrypt(suite, receiver, sent.message)
        receiver = got.state
        return got.plaintext
      }
    },

    async safetyNumber(input: SafetyNumberInput): Promise<BenchOp> {
      return () => wrenSafetyNumber(input, suite)
    },
  }
}
