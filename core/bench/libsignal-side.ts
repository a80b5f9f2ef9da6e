/**
 * The libsignal side of the crypto benchmark, driven through @signalapp/libsignal-client's Node
 * API the way an app uses it: async calls into the native library, with in-memory JS stores that
 * the library calls back into. Every case mirrors what the Wren side does (see wren-side.ts).
 */
import {
  CiphertextMessageType,
  type Direction,
  Fingerprint,
  groupDecrypt,
  groupEncrypt,
  IdentityChange,
  IdentityKeyPair,
  IdentityKeyStore,
  KEMKeyPair,
  KyberPreKeyRecord,
  KyberPreKeyStore,
  PreKeyBundle,
  PreKeyRecord,
  PreKeySignalMessage,
  PreKeyStore,
  PrivateKey,
  ProtocolAddress,
  PublicKey,
  processPreKeyBundle,
  processSenderKeyDistributionMessage,
  SenderKeyDistributionMessage,
  type SenderKeyRecord,
  SenderKeyStore,
  type SessionRecord,
  SessionStore,
  SignalMessage,
  SignedPreKeyRecord,
  SignedPreKeyStore,
  signalDecrypt,
  signalDecryptPreKey,
  signalEncrypt,
} from '@signalapp/libsignal-client'
import type { BenchOp, BenchSide, RatchetCase, SafetyNumberInput } from './bench-side.ts'

/** Signal's NumericFingerprint iteration count (what the Signal apps use). */
const FINGERPRINT_ITERATIONS = 5200
/** Fingerprint version; only the scannable form depends on it, the displayed digits do not. */
const FINGERPRINT_VERSION = 0
/** The session-setup loop keeps reusing these ids: each setup starts from empty session stores. */
const SIGNED_PREKEY_ID = 1
const KYBER_PREKEY_ID = 2
const ONE_TIME_PREKEY_ID = 3
const DISTRIBUTION_ID = 'd1b2c3d4-0000-4000-8000-000000000001'

/** libsignal wants ArrayBuffer-backed views; copy only when given something else. */
function ab(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes)
}

class MemoryIdentityStore extends IdentityKeyStore {
  readonly #pair: IdentityKeyPair
  readonly #registrationId: number
  readonly #known = new Map<string, PublicKey>()
  constructor(pair: IdentityKeyPair, registrationId: number) {
    super()
    this.#pair = pair
    this.#registrationId = registrationId
  }
  override async getIdentityKey(): Promise<PrivateKey> {
    return this.#pair.privateKey
  }
  override async getIdentityKeyPair(): Promise<IdentityKeyPair> {
    return this.#pair
  }
  override async getLocalRegistrationId(): Promise<number> {
    return this.#registrationId
  }
  override async saveIdentity(name: ProtocolAddress, key: PublicKey): Promise<IdentityChange> {
    const id = name.toString()
    const old = this.#known.get(id)
    this.#known.set(id, key)
    return old !== undefined && !old.equals(key)
      ? IdentityChange.ReplacedExisting
      : IdentityChange.NewOrUnchanged
  }
  override async isTrustedIdentity(name: ProtocolAddress, key: PublicKey, _d: Direction): Promise<boolean> {
    const old = this.#known.get(name.toString())
    return old === undefined || old.equals(key)
  }
  override async getIdentity(name: ProtocolAddress): Promise<PublicKey | null> {
    return this.#known.get(name.toString()) ?? null
  }
}

class MemorySessionStore extends SessionStore {
  readonly sessions = new Map<string, SessionRecord>()
  override async saveSession(name: ProtocolAddress, record: SessionRecord): Promise<void> {
    this.sessions.set(name.toString(), record)
  }
  override async getSession(name: ProtocolAddress): Promise<SessionRecord | null> {
    return this.sessions.get(name.toString()) ?? null
  }
  override async getExistingSessions(addresses: ProtocolAddress[]): Promise<SessionRecord[]> {
    return addresses.map((a) => {
      const s = this.sessions.get(a.toString())
      if (s === undefined) throw new Error(`no session for ${a.toString()}`)
      return s
    })
  }
}

class MemoryPreKeyStore extends PreKeyStore {
  readonly #keys = new Map<number, PreKeyRecord>()
  override async savePreKey(id: number, record: PreKeyRecord): Promise<void> {
    this.#keys.set(id, record)
  }
  override async getPreKey(id: number): Promise<PreKeyRecord> {
    const r = this.#keys.get(id)
    if (r === undefined) throw new Error(`no prekey ${id}`)
    return r
  }
  override async removePreKey(id: number): Promise<void> {
    this.#keys.delete(id)
  }
}

class MemorySignedPreKeyStore extends SignedPreKeyStore {
  readonly #keys = new Map<number, SignedPreKeyRecord>()
  override async saveSignedPreKey(id: number, record: SignedPreKeyRecord): Promise<void> {
    this.#keys.set(id, record)
  }
  override async getSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
    const r = this.#keys.get(id)
    if (r === undefined) throw new Error(`no signed prekey ${id}`)
    return r
  }
}

class MemoryKyberPreKeyStore extends KyberPreKeyStore {
  readonly #keys = new Map<number, KyberPreKeyRecord>()
  override async saveKyberPreKey(id: number, record: KyberPreKeyRecord): Promise<void> {
    this.#keys.set(id, record)
  }
  override async getKyberPreKey(id: number): Promise<KyberPreKeyRecord> {
    const r = this.#keys.get(id)
    if (r === undefined) throw new Error(`no kyber prekey ${id}`)
    return r
  }
  override async markKyberPreKeyUsed(
    _id: number,
    _signedPreKeyId: number,
    _baseKey: PublicKey,
  ): Promise<void> {
    // Last-resort Kyber prekey: kept (as Wren keeps its last-resort ML-KEM prekey).
  }
}

class MemorySenderKeyStore extends SenderKeyStore {
  readonly #keys = new Map<string, SenderKeyRecord>()
  override async saveSenderKey(sender: ProtocolAddress, distributionId: string, record: SenderKeyRecord) {
    this.#keys.set(`${sender.toString()}/${distributionId}`, record)
  }
  override async getSenderKey(
    sender: ProtocolAddress,
    distributionId: string,
  ): Promise<SenderKeyRecord | null> {
    return this.#keys.get(`${sender.toString()}/${distributionId}`) ?? null
  }
}

/** One device of one user with all its stores. */
interface Party {
  readonly address: ProtocolAddress
  readonly identity: IdentityKeyPair
  readonly registrationId: number
  readonly identityStore: MemoryIdentityStore
  readonly sessions: MemorySessionStore
  readonly preKeys: MemoryPreKeyStore
  readonly signedPreKeys: MemorySignedPreKeyStore
  readonly kyberPreKeys: MemoryKyberPreKeyStore
  readonly senderKeys: MemorySenderKeyStore
}

function createParty(name: string, registrationId: number): Party {
  const identity = IdentityKeyPair.generate()
  return {
    address: ProtocolAddress.new(name, 1),
    identity,
    registrationId,
    identityStore: new MemoryIdentityStore(identity, registrationId),
    sessions: new MemorySessionStore(),
    preKeys: new MemoryPreKeyStore(),
    signedPreKeys: new MemorySignedPreKeyStore(),
    kyberPreKeys: new MemoryKyberPreKeyStore(),
    senderKeys: new MemorySenderKeyStore(),
  }
}

/**
 * Bob publishes fresh prekeys (signed EC, signed last-resort Kyber, one one-time EC), Alice
 * processes his bundle (checks both signatures), sends the first message, Bob decrypts it
 * (PQXDH respond) and replies, Alice decrypts the reply.
 */
async function setupSession(alice: Party, bob: Party, plaintext: Uint8Array<ArrayBuffer>): Promise<void> {
  const now = Date.now()
  const signedPrekey = PrivateKey.generate()
  const signedPrekeyPublic = signedPrekey.getPublicKey()
  const signedPrekeySignature = bob.identity.privateKey.sign(signedPrekeyPublic.serialize())
  const kyber = KEMKeyPair.generate()
  const kyberPublic = kyber.getPublicKey()
  const kyberSignature = bob.identity.privateKey.sign(kyberPublic.serialize())
  const oneTime = PrivateKey.generate()
  const oneTimePublic = oneTime.getPublicKey()
  await bob.signedPreKeys.saveSignedPreKey(
    SIGNED_PREKEY_ID,
    SignedPreKeyRecord.new(SIGNED_PREKEY_ID, now, signedPrekeyPublic, signedPrekey, signedPrekeySignature),
  )
  await bob.kyberPreKeys.saveKyberPreKey(
    KYBER_PREKEY_ID,
    KyberPreKeyRecord.new(KYBER_PREKEY_ID, now, kyber, kyberSignature),
  )
  await bob.preKeys.savePreKey(
    ONE_TIME_PREKEY_ID,
    PreKeyRecord.new(ONE_TIME_PREKEY_ID, oneTimePublic, oneTime),
  )
  const bundle = PreKeyBundle.new(
    bob.registrationId,
    bob.address.deviceId(),
    ONE_TIME_PREKEY_ID,
    oneTimePublic,
    SIGNED_PREKEY_ID,
    signedPrekeyPublic,
    signedPrekeySignature,
    bob.identity.publicKey,
    KYBER_PREKEY_ID,
    kyberPublic,
    kyberSignature,
  )

  await processPreKeyBundle(bundle, bob.address, alice.address, alice.sessions, alice.identityStore)
  const first = await signalEncrypt(
    plaintext,
    bob.address,
    alice.address,
    alice.sessions,
    alice.identityStore,
  )
  if (first.type() !== CiphertextMessageType.PreKey) throw new Error('expected a PreKey message')
  await signalDecryptPreKey(
    PreKeySignalMessage.deserialize(first.serialize()),
    alice.address,
    bob.address,
    bob.sessions,
    bob.identityStore,
    bob.preKeys,
    bob.signedPreKeys,
    bob.kyberPreKeys,
  )
  const reply = await signalEncrypt(plaintext, alice.address, bob.address, bob.sessions, bob.identityStore)
  await signalDecrypt(
    SignalMessage.deserialize(reply.serialize()),
    bob.address,
    alice.address,
    alice.sessions,
    alice.identityStore,
  )
}

/** Encrypt on `from`, serialize, deserialize, decrypt on `to` (a whisper message after setup). */
async function sendOne(from: Party, to: Party, plaintext: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const ct = await signalEncrypt(plaintext, to.address, from.address, from.sessions, from.identityStore)
  return signalDecrypt(
    SignalMessage.deserialize(ct.serialize()),
    from.address,
    to.address,
    to.sessions,
    to.identityStore,
  )
}

/** The libsignal displayable safety number for 33-byte (0x05 ‖ X25519) keys. */
export function libsignalSafetyNumber(input: SafetyNumberInput): string {
  return Fingerprint.new(
    FINGERPRINT_ITERATIONS,
    FINGERPRINT_VERSION,
    ab(input.localId),
    PublicKey.deserialize(ab(input.localKey33)),
    ab(input.remoteId),
    PublicKey.deserialize(ab(input.remoteKey33)),
  )
    .displayableFingerprint()
    .toString()
}

export function createLibsignalSide(): BenchSide {
  let counter = 0
  const pair = (): [Party, Party] => {
    counter++
    return [createParty(`alice-${counter}`, 1000 + counter), createParty(`bob-${counter}`, 2000 + counter)]
  }

  return {
    name: 'libsignal',

    async sessionSetup(): Promise<BenchOp> {
      const [alice, bob] = pair()
      const plaintext = new Uint8Array(64).fill(7)
      return async () => {
        // Each setup starts a brand-new session (no archived states piling up in the record).
        alice.sessions.sessions.clear()
        bob.sessions.sessions.clear()
        await setupSession(alice, bob, plaintext)
      }
    },

    async ratchet(c: RatchetCase): Promise<BenchOp> {
      const [alice, bob] = pair()
      const plaintext = new Uint8Array(c.size).fill(9)
      await setupSession(alice, bob, plaintext)
      let turn = 0
      if (!c.alternate) return () => sendOne(alice, bob, plaintext)
      return () => (turn++ % 2 === 0 ? sendOne(alice, bob, plaintext) : sendOne(bob, alice, plaintext))
    },

    async group(size: number): Promise<BenchOp> {
      const [sender, receiver] = pair()
      const distribution = await SenderKeyDistributionMessage.create(
        sender.address,
        DISTRIBUTION_ID,
        sender.senderKeys,
      )
      await processSenderKeyDistributionMessage(
        sender.address,
        SenderKeyDistributionMessage.deserialize(distribution.serialize()),
        receiver.senderKeys,
      )
      const plaintext = new Uint8Array(size).fill(5)
      return async () => {
        const ct = await groupEncrypt(sender.address, DISTRIBUTION_ID, sender.senderKeys, plaintext)
        return groupDecrypt(sender.address, receiver.senderKeys, ct.serialize())
      }
    },

    async safetyNumber(input: SafetyNumberInput): Promise<BenchOp> {
      return () => libsignalSafetyNumber(input)
    },
  }
}
