/**
 * Sealed-sender envelope: the outer layer every 1:1 message travels in. Relays and observers see
 * only { version, ephemeralKey, ciphertext }; the sender's identity and device key travel inside
 * the ciphertext. Sender authenticity is not claimed by this layer: the inner ratchet message
 * binds both identity keys as associated data, so the receiver checks the sender there.
 *
 *   (ek, EK) fresh X25519;  dh = X25519(ek, recipientKey)
 *   key ‖ nonce = HKDF-SHA256(ikm = dh, salt = EK ‖ recipientKey, info = 'wren/envelope/v1', 32 + 12)
 *   ciphertext = AES-256-GCM(key, nonce, pad(SealedContent), aad = u32be(version) ‖ EK)
 * Each key is used once (fresh ek), so the derived nonce never repeats under a key.
 */
import { concatBytes, u32be, utf8, wipe } from './bytes.ts'
import { checkDecodedLength, checkKey, decodeCapped } from './checks.ts'
import {
  ENVELOPE_VERSION,
  MAX_ENVELOPE_BYTES,
  MAX_PREKEY_MESSAGE_BYTES,
  MAX_SEALED_BODY_BYTES,
  PREKEY_MESSAGE_VERSION,
  SEALED_CONTENT_VERSION,
} from './constants.ts'
import {
  AES_GCM_KEY_BYTES,
  AES_GCM_NONCE_BYTES,
  AES_GCM_TAG_BYTES,
  type CryptoSuite,
  ED25519_PUBLIC_KEY_BYTES,
  MLKEM768_CIPHERTEXT_BYTES,
  X25519_KEY_BYTES,
} from './crypto/suite.ts'
import { DecodeError, InvalidKeyError, TooLargeError, UnsupportedVersionError } from './errors.ts'
import { pad, unpad } from './padding.ts'
import type { PqxdhHeader } from './pqxdh.ts'
import {
  Envelope as EnvelopeProto,
  type PqxdhHeader as PqxdhHeaderProto,
  PrekeyMessage as PrekeyMessageProto,
  SealedContent as SealedContentProto,
} from './proto/envelope.ts'

/** Body is an encoded prekey message (PQXDH header + first ratchet message). */
export const CONTENT_TYPE_PREKEY = 1
/** Body is a ratchet message of an established session. */
export const CONTENT_TYPE_MESSAGE = 2
const CONTENT_TYPES: readonly number[] = [CONTENT_TYPE_PREKEY, CONTENT_TYPE_MESSAGE]

export interface SealedContent {
  /** CONTENT_TYPE_PREKEY | CONTENT_TYPE_MESSAGE */
  readonly type: number
  /** Sender's Ed25519 identity key. */
  readonly senderIdentityKey: Uint8Array
  /** Sender's Ed25519 device key. */
  readonly senderDeviceKey: Uint8Array
  readonly body: Uint8Array
}

/** The outer, relay-visible form of an envelope. */
export interface EnvelopeFrame {
  readonly version: number
  readonly ephemeralKey: Uint8Array
  readonly ciphertext: Uint8Array
}

export interface PrekeyMessage {
  readonly header: PqxdhHeader
  /** The first Double Ratchet message. */
  readonly message: Uint8Array
}

export interface SealEnvelopeInput {
  /** X25519 public form of the recipient's device key (deviceDhPublicKey). */
  recipientKey: Uint8Array
  content: SealedContent
}

export interface OpenEnvelopeInput {
  /** X25519 secret form of our device key (deviceDhSecretKey). */
  recipientSecretKey: Uint8Array
  /**
   * Its X25519 public key, when the caller keeps it (deriving it per envelope was ~1/10 of opening
   * one). A key that does not match fails the envelope's AEAD check like a wrong recipient.
   */
  recipientPublicKey?: Uint8Array
  envelope: Uint8Array
}

const ENVELOPE_INFO = 'wren/envelope/v1'

type Buf = Uint8Array<ArrayBuffer>

function deriveKeyAndNonce(
  suite: CryptoSuite,
  dh: Uint8Array,
  ephemeralKey: Uint8Array,
  recipientKey: Uint8Array,
) {
  const okm = suite.hkdf(
    dh,
    concatBytes(ephemeralKey, recipientKey),
    utf8(ENVELOPE_INFO),
    AES_GCM_KEY_BYTES + AES_GCM_NONCE_BYTES,
  )
  const key = okm.slice(0, AES_GCM_KEY_BYTES)
  const nonce = okm.slice(AES_GCM_KEY_BYTES)
  wipe(okm)
  return { key, nonce }
}

function envelopeAad(version: number, ephemeralKey: Uint8Array): Uint8Array {
  return concatBytes(u32be(version), ephemeralKey)
}

// ---- outer frame

export function encodeEnvelope(frame: EnvelopeFrame): Uint8Array {
  return EnvelopeProto.encode(frame as EnvelopeProto)
}

/** Parse the outer frame of untrusted bytes (size cap first); relays may use this to validate. */
export function decodeEnvelope(bytes: Uint8Array): EnvelopeFrame {
  const proto = decodeCapped('envelope', bytes, MAX_ENVELOPE_BYTES, (b) => EnvelopeProto.decode(b))
  if (proto.version !== ENVELOPE_VERSION)
    throw new UnsupportedVersionError(`envelope version ${proto.version}`)
  checkDecodedLength('envelope ephemeral key', proto.ephemeralKey, X25519_KEY_BYTES)
  if (proto.ciphertext.length < AES_GCM_TAG_BYTES) throw new DecodeError('envelope ciphertext too short')
  return { version: proto.version, ephemeralKey: proto.ephemeralKey, ciphertext: proto.ciphertext }
}

// ---- sealed content

export function encodeSealedContent(content: SealedContent): Uint8Array {
  return SealedContentProto.encode({
    version: SEALED_CONTENT_VERSION,
    type: content.type,
    senderIdentityKey: content.senderIdentityKey as Buf,
    senderDeviceKey: content.senderDeviceKey as Buf,
    body: content.body as Buf,
  })
}

/** Parse decrypted, unpadded plaintext (size cap first). */
export function decodeSealedContent(bytes: Uint8Array): SealedContent {
  const proto = decodeCapped('sealed content', bytes, MAX_ENVELOPE_BYTES, (b) => SealedContentProto.decode(b))
  if (proto.version !== SEALED_CONTENT_VERSION)
    throw new UnsupportedVersionError(`sealed content version ${proto.version}`)
  if (!CONTENT_TYPES.includes(proto.type)) throw new DecodeError(`unknown sealed content type ${proto.type}`)
  checkDecodedLength('sender identity key', proto.senderIdentityKey, ED25519_PUBLIC_KEY_BYTES)
  checkDecodedLength('sender device key', proto.senderDeviceKey, ED25519_PUBLIC_KEY_BYTES)
  return {
    type: proto.type,
    senderIdentityKey: proto.senderIdentityKey,
    senderDeviceKey: proto.senderDeviceKey,
    body: proto.body,
  }
}

/** Encrypt `content` to a device; the result is the encoded envelope (padded to a size bucket). */
export function sealEnvelope(suite: CryptoSuite, input: SealEnvelopeInput): Uint8Array {
  const { recipientKey, content } = input
  checkKey('recipient key', recipientKey, X25519_KEY_BYTES)
  checkKey('sender identity key', content.senderIdentityKey, ED25519_PUBLIC_KEY_BYTES)
  checkKey('sender device key', content.senderDeviceKey, ED25519_PUBLIC_KEY_BYTES)
  if (!CONTENT_TYPES.includes(content.type))
    throw new InvalidKeyError(`unknown sealed content type ${content.type}`)
  if (content.body.length > MAX_SEALED_BODY_BYTES)
    throw new TooLargeError(`sealed body of ${content.body.length} bytes exceeds ${MAX_SEALED_BODY_BYTES}`)

  const ephemeral = suite.x25519Generate()
  const dh = suite.x25519(ephemeral.secretKey, recipientKey)
  const { key, nonce } = deriveKeyAndNonce(suite, dh, ephemeral.publicKey, recipientKey)
  const plaintext = pad(encodeSealedContent(content))
  const ciphertext = suite.aesGcmEncrypt(
    key,
    nonce,
    plaintext,
    envelopeAad(ENVELOPE_VERSION, ephemeral.publicKey),
  )
  wipe(ephemeral.secretKey, dh, key, plaintext)
  return encodeEnvelope({ version: ENVELOPE_VERSION, ephemeralKey: ephemeral.publicKey, ciphertext })
}

/**
 * Decrypt an envelope addressed to us. Throws DecodeError / UnsupportedVersionError (malformed),
 * CryptoError (low-order ephemeral key) or AeadError (wrong recipient or tampered bytes).
 */
export function openEnvelope(suite: CryptoSuite, input: OpenEnvelopeInput): SealedContent {
  checkKey('recipient secret key', input.recipientSecretKey, X25519_KEY_BYTES)
  const frame = decodeEnvelope(input.envelope)
  if (input.recipientPublicKey !== undefined)
    checkKey('recipient public key', input.recipientPublicKey, X25519_KEY_BYTES)
  const recipientKey = input.recipientPublicKey ?? suite.x25519PublicKey(input.recipientSecretKey)
  const dh = suite.x25519(input.recipientSecretKey, frame.ephemeralKey)
  const { key, nonce } = deriveKeyAndNonce(suite, dh, frame.ephemeralKey, recipientKey)
  try {
    const padded = suite.aesGcmDecrypt(
      key,
      nonce,
      frame.ciphertext,
      envelopeAad(frame.version, frame.ephemeralKey),
    )
    const encoded = unpad(padded)
    wipe(padded)
    return decodeSealedContent(encoded)
  } finally {
    wipe(dh, key)
  }
}

// ---- prekey message (body of a CONTENT_TYPE_PREKEY envelope)

export function encodePrekeyMessage(prekeyMessage: PrekeyMessage): Uint8Array {
  const h = prekeyMessage.header
  const header: PqxdhHeaderProto = {
    identityKey: h.identityKey as Buf,
    ephemeralKey: h.ephemeralKey as Buf,
    kemCiphertext: h.kemCiphertext as Buf,
    signedPrekeyId: h.signedPrekeyId,
    kemPrekeyId: h.kemPrekeyId,
    kemPrekeyOneTime: h.kemPrekeyOneTime,
    ...(h.oneTimePrekeyId !== undefined ? { oneTimePrekeyId: h.oneTimePrekeyId } : {}),
  }
  return PrekeyMessageProto.encode({
    version: PREKEY_MESSAGE_VERSION,
    header,
    message: prekeyMessage.message as Buf,
  })
}

/** Parse untrusted bytes (size cap first); checks the header's key sizes. */
export function decodePrekeyMessage(bytes: Uint8Array): PrekeyMessage {
  const proto = decodeCapped('prekey message', bytes, MAX_PREKEY_MESSAGE_BYTES, (b) =>
    PrekeyMessageProto.decode(b),
  )
  if (proto.version !== PREKEY_MESSAGE_VERSION)
    throw new UnsupportedVersionError(`prekey message version ${proto.version}`)
  const h = proto.header
  if (h === undefined) throw new DecodeError('prekey message without PQXDH header')
  checkDecodedLength('initiator identity key', h.identityKey, ED25519_PUBLIC_KEY_BYTES)
  checkDecodedLength('initiator ephemeral key', h.ephemeralKey, X25519_KEY_BYTES)
  checkDecodedLength('KEM ciphertext', h.kemCiphertext, MLKEM768_CIPHERTEXT_BYTES)
  const header: PqxdhHeader = {
    identityKey: h.identityKey,
    ephemeralKey: h.ephemeralKey,
    kemCiphertext: h.kemCiphertext,
    signedPrekeyId: h.signedPrekeyId,
    kemPrekeyId: h.kemPrekeyId,
    kemPrekeyOneTime: h.kemPrekeyOneTime,
    ...(h.oneTimePrekeyId !== undefined ? { oneTimePrekeyId: h.oneTimePrekeyId } : {}),
  }
  return { header, message: proto.message }
}
