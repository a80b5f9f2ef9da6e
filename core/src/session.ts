/**
 * 1:1 sessions: PQXDH to start, the Double Ratchet after. This module glues the two and gives the
 * node one record per remote device, with the Signal rule that an initiator keeps repeating the
 * PQXDH header in every message until the first reply proves the responder has the session.
 *
 * Pure: the caller passes the suite and loads/saves records; nothing here touches storage.
 */
import { bytesEqual } from './bytes.ts'
import type { KeyPair } from './crypto/suite.ts'
import { type CryptoSuite, ED25519_PUBLIC_KEY_BYTES, X25519_KEY_BYTES } from './crypto/suite.ts'
import {
  CONTENT_TYPE_MESSAGE,
  CONTENT_TYPE_PREKEY,
  decodePrekeyMessage,
  encodePrekeyMessage,
} from './envelope.ts'
import { DecodeError, InvalidStateError, UnsupportedVersionError } from './errors.ts'
import type { IdentityKeyPair } from './identity.ts'
import { type PqxdhHeader, pqxdhInitiate, pqxdhRespond } from './pqxdh.ts'
import type { OneTimePrekey, PrekeyBundle, SignedKemPrekey } from './prekey-bundle.ts'
import { SessionRecord as SessionRecordProto } from './proto/session.ts'
import {
  decodeRatchetState,
  encodeRatchetState,
  initAsInitiator,
  initAsResponder,
  type RatchetState,
  ratchetDecrypt,
  ratchetEncrypt,
} from './ratchet/index.ts'

/** Disk format version of SessionRecord (independent of every wire version). */
export const SESSION_RECORD_VERSION = 1
/** A session record is a ratchet state plus a few keys; the ratchet state has its own cap. */
export const MAX_SESSION_RECORD_BYTES = 640 * 1024

export interface SessionRecord {
  readonly localIdentityKey: Uint8Array
  readonly remoteIdentityKey: Uint8Array
  readonly ratchet: RatchetState
  /** Initiator only: the PQXDH header repeated until the first reply arrives. */
  readonly pendingPrekey: PqxdhHeader | null
  /** The initiator's PQXDH ephemeral key: names the session, so repeated prekey messages map to it. */
  readonly baseKey: Uint8Array
  readonly createdAt: number
}

export interface InitiateSessionInput {
  identity: IdentityKeyPair
  /** A bundle already checked with verifyPrekeyBundle. */
  bundle: PrekeyBundle
  oneTimePrekey?: OneTimePrekey
  oneTimeKemPrekey?: SignedKemPrekey
  now: number
}

export function initiateSession(suite: CryptoSuite, input: InitiateSessionInput): SessionRecord {
  const pqxdh = pqxdhInitiate(suite, {
    identity: input.identity,
    bundle: input.bundle,
    ...(input.oneTimePrekey ? { oneTimePrekey: input.oneTimePrekey } : {}),
    ...(input.oneTimeKemPrekey ? { oneTimeKemPrekey: input.oneTimeKemPrekey } : {}),
  })
  const ratchet = initAsInitiator(suite, {
    sharedSecret: pqxdh.sharedSecret,
    associatedData: pqxdh.associatedData,
    remoteRatchetKey: pqxdh.remoteRatchetKey,
  })
  return {
    localIdentityKey: input.identity.publicKey,
    remoteIdentityKey: input.bundle.identityKey,
    ratchet,
    pendingPrekey: pqxdh.header,
    baseKey: pqxdh.header.ephemeralKey,
    createdAt: input.now,
  }
}

export interface EncryptedBody {
  /** CONTENT_TYPE_PREKEY while the session is unconfirmed, CONTENT_TYPE_MESSAGE after. */
  readonly type: number
  readonly body: Uint8Array
}

export function sessionEncrypt(
  suite: CryptoSuite,
  record: SessionRecord,
  plaintext: Uint8Array,
): { record: SessionRecord; encrypted: EncryptedBody } {
  const { state, message } = ratchetEncrypt(suite, record.ratchet, plaintext)
  const next = { ...record, ratchet: state }
  if (record.pendingPrekey !== null) {
    return {
      record: next,
      encrypted: {
        type: CONTENT_TYPE_PREKEY,
        body: encodePrekeyMessage({ header: record.pendingPrekey, message }),
      },
    }
  }
  return { record: next, encrypted: { type: CONTENT_TYPE_MESSAGE, body: message } }
}

/** Decrypt a CONTENT_TYPE_MESSAGE body with an existing session; a reply confirms the session. */
export function sessionDecrypt(
  suite: CryptoSuite,
  record: SessionRecord,
  body: Uint8Array,
): { record: SessionRecord; plaintext: Uint8Array } {
  const { state, plaintext } = ratchetDecrypt(suite, record.ratchet, body)
  return { record: { ...record, ratchet: state, pendingPrekey: null }, plaintext }
}

/** The responder's prekey secrets, looked up by the ids in a PQXDH header. */
export interface PrekeySecrets {
  signedPrekey(id: number): KeyPair | undefined
  kemPrekey(id: number, oneTime: boolean): KeyPair | undefined
  oneTimePrekey(id: number): KeyPair | undefined
}

export interface AcceptPrekeyMessageInput {
  identity: IdentityKeyPair
  body: Uint8Array
  /** The session we already hold with this sender, if any. */
  existing: SessionRecord | null
  prekeys: PrekeySecrets
  now: number
}

export interface AcceptedPrekeyMessage {
  record: SessionRecord
  plaintext: Uint8Array
  /** The sender's identity key, from the PQXDH header (authenticated by DH1 and the AEAD). */
  remoteIdentityKey: Uint8Array
  /** One-time prekeys this message used up; the caller deletes them in the same write. */
  usedOneTimePrekeyId: number | null
  usedOneTimeKemPrekeyId: number | null
  /** false when the message belonged to the session we already held (a repeated header). */
  newSession: boolean
}

/** Decrypt a CONTENT_TYPE_PREKEY body: a new session, or a repeat of the one we hold. */
export function acceptPrekeyMessage(
  suite: CryptoSuite,
  input: AcceptPrekeyMessageInput,
): AcceptedPrekeyMessage {
  const { header, message } = decodePrekeyMessage(input.body)
  const existing = input.existing
  if (
    existing !== null &&
    bytesEqual(existing.baseKey, header.ephemeralKey) &&
    bytesEqual(existing.remoteIdentityKey, header.identityKey)
  ) {
    const { state, plaintext } = ratchetDecrypt(suite, existing.ratchet, message)
    return {
      record: { ...existing, ratchet: state },
      plaintext,
      remoteIdentityKey: header.identityKey,
      usedOneTimePrekeyId: null,
      usedOneTimeKemPrekeyId: null,
      newSession: false,
    }
  }
  const signedPrekey = input.prekeys.signedPrekey(header.signedPrekeyId)
  if (signedPrekey === undefined)
    throw new InvalidStateError(`unknown signed prekey ${header.signedPrekeyId}`)
  const kemPrekey = input.prekeys.kemPrekey(header.kemPrekeyId, header.kemPrekeyOneTime)
  if (kemPrekey === undefined) throw new InvalidStateError(`unknown KEM prekey ${header.kemPrekeyId}`)
  let oneTimePrekey: KeyPair | undefined
  if (header.oneTimePrekeyId !== undefined) {
    oneTimePrekey = input.prekeys.oneTimePrekey(header.oneTimePrekeyId)
    if (oneTimePrekey === undefined)
      throw new InvalidStateError(`unknown one-time prekey ${header.oneTimePrekeyId}`)
  }
  const { sharedSecret, associatedData } = pqxdhRespond(suite, {
    identity: input.identity,
    signedPrekey,
    kemPrekey,
    ...(oneTimePrekey ? { oneTimePrekey } : {}),
    header,
  })
  const ratchet = initAsResponder(suite, { sharedSecret, associatedData, ourRatchetKeyPair: signedPrekey })
  const { state, plaintext } = ratchetDecrypt(suite, ratchet, message)
  return {
    record: {
      localIdentityKey: input.identity.publicKey,
      remoteIdentityKey: header.identityKey,
      ratchet: state,
      pendingPrekey: null,
      baseKey: header.ephemeralKey,
      createdAt: input.now,
    },
    plaintext,
    remoteIdentityKey: header.identityKey,
    usedOneTimePrekeyId: header.oneTimePrekeyId ?? null,
    usedOneTimeKemPrekeyId: header.kemPrekeyOneTime ? header.kemPrekeyId : null,
    newSession: true,
  }
}

type Buf = Uint8Array<ArrayBuffer>

export function encodeSessionRecord(record: SessionRecord): Uint8Array {
  return SessionRecordProto.encode({
    version: SESSION_RECORD_VERSION,
    localIdentityKey: record.localIdentityKey as Buf,
    remoteIdentityKey: record.remoteIdentityKey as Buf,
    ratchetState: encodeRatchetState(record.ratchet) as Buf,
    pendingPrekey: (record.pendingPrekey === null
      ? new Uint8Array(0)
      : encodePrekeyMessage({ header: record.pendingPrekey, message: new Uint8Array(0) })) as Buf,
    baseKey: record.baseKey as Buf,
    createdAt: record.createdAt,
  })
}

export function decodeSessionRecord(bytes: Uint8Array): SessionRecord {
  if (bytes.length > MAX_SESSION_RECORD_BYTES) throw new DecodeError('session record is too large')
  let proto: ReturnType<typeof SessionRecordProto.decode>
  try {
    proto = SessionRecordProto.decode(bytes)
  } catch (cause) {
    throw new DecodeError('malformed session record', { cause })
  }
  if (proto.version !== SESSION_RECORD_VERSION) {
    throw new UnsupportedVersionError(`session record version ${proto.version}`)
  }
  if (
    proto.localIdentityKey.length !== ED25519_PUBLIC_KEY_BYTES ||
    proto.remoteIdentityKey.length !== ED25519_PUBLIC_KEY_BYTES
  ) {
    throw new DecodeError('session record identity key has a bad length')
  }
  if (proto.baseKey.length !== X25519_KEY_BYTES)
    throw new DecodeError('session record base key has a bad length')
  return {
    localIdentityKey: proto.localIdentityKey,
    remoteIdentityKey: proto.remoteIdentityKey,
    ratchet: decodeRatchetState(proto.ratchetState),
    pendingPrekey: proto.pendingPrekey.length === 0 ? null : decodePrekeyMessage(proto.pendingPrekey).header,
    baseKey: proto.baseKey,
    createdAt: proto.createdAt,
  }
}

export { CONTENT_TYPE_MESSAGE, CONTENT_TYPE_PREKEY }
