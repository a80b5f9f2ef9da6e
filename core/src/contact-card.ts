/**
 * Contact cards: the compact string (and QR payload) a user hands to another to start talking.
 * A card carries the user id, the Ed25519 identity key, a display name and reachability hints
 * (the device PeerId and a few multiaddrs), signed by the identity key so nobody on the way can
 * swap the name or the hints. Adding a card pins the identity key (TOFU) in the node layer.
 * After an identity key change the card also carries the succession signed by the origin key, so
 * the user id stays bound to the new identity key (core/src/identity-succession.ts).
 *
 * String form: 'wren:' + base64url(protobuf ContactCard).
 */
import { fromBase64url, toBase64url } from './base64url.ts'
import { bytesEqual, utf8 } from './bytes.ts'
import { checkDecodedLength, checkDecodedUint } from './checks.ts'
import { MAX_MULTIADDR_BYTES, MAX_PEER_ID_BYTES, USER_ID_BYTES } from './constants.ts'
import { type CryptoSuite, ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES } from './crypto/suite.ts'
import { DecodeError, InvalidKeyError, InvalidSignatureError, UnsupportedVersionError } from './errors.ts'
import type { IdentityKeyPair } from './identity.ts'
import { type IdentitySuccession, verifyUserBinding } from './identity-succession.ts'
import { ContactCard as ContactCardProto } from './proto/contact-card.ts'
import { type SigningField, signingInput } from './signing-input.ts'

export const CONTACT_CARD_VERSION = 1
/** Prefix of the string form, so a pasted card is recognisable and other text is rejected early. */
export const CONTACT_CARD_PREFIX = 'wren:'
/** Longest card string accepted: one device, a handful of addresses, a name; fits a QR code. */
export const MAX_CONTACT_CARD_CHARS = 4096
/** Display names are short labels, not documents. */
export const MAX_DISPLAY_NAME_CHARS = 64
/** Reachability hints are hints: a few addresses are enough to make the first dial. */
export const MAX_CARD_ADDRS = 8

const CARD_LABEL = 'wren/contact-card/v1'
const EMPTY = new Uint8Array(0)

export interface ContactCard {
  readonly version: number
  readonly userId: Uint8Array
  readonly identityKey: Uint8Array
  readonly displayName: string
  readonly devicePeerId: Uint8Array
  readonly addrs: readonly Uint8Array[]
  readonly createdAt: number
  /** Present only when identityKey is not the origin key the user id derives from. */
  readonly succession: IdentitySuccession | null
  readonly signature: Uint8Array
}

export type ContactCardFields = Omit<ContactCard, 'version' | 'signature' | 'succession'> & {
  /** Default: null (the identity key is the origin key). */
  readonly succession?: IdentitySuccession | null
}

function cardSigningInput(card: Omit<ContactCard, 'signature'>): Uint8Array {
  const succession: SigningField[][] =
    card.succession === null
      ? []
      : [[{ bytes: card.succession.originIdentityKey }, { bytes: card.succession.signature }]]
  return signingInput(CARD_LABEL, [
    { u32: card.version },
    { bytes: card.userId },
    { bytes: card.identityKey },
    { bytes: utf8(card.displayName) },
    { bytes: card.devicePeerId },
    { list: card.addrs.map((a) => [{ bytes: a }]) },
    { u64: card.createdAt },
    { list: succession },
  ])
}

function checkDisplayName(name: string): void {
  if (name.length === 0 || name.length > MAX_DISPLAY_NAME_CHARS) {
    throw new DecodeError(`display name must be 1..${MAX_DISPLAY_NAME_CHARS} characters`)
  }
}

export function signContactCard(
  suite: CryptoSuite,
  identity: IdentityKeyPair,
  fields: ContactCardFields,
): ContactCard {
  checkDisplayName(fields.displayName)
  if (!bytesEqual(fields.identityKey, identity.publicKey))
    throw new InvalidKeyError('card identity key is not the signing identity key')
  const succession = fields.succession ?? null
  // Refuse to hand out a card no one could verify.
  verifyUserBinding(suite, fields.userId, fields.identityKey, succession)
  const unsigned = {
    ...fields,
    version: CONTACT_CARD_VERSION,
    addrs: fields.addrs.slice(0, MAX_CARD_ADDRS),
    succession,
  }
  return { ...unsigned, signature: suite.ed25519Sign(identity.secretKey, cardSigningInput(unsigned)) }
}

/** The user id binding (derivation or succession), then the identity key's signature over the card. */
export function verifyContactCard(suite: CryptoSuite, card: ContactCard): void {
  verifyUserBinding(suite, card.userId, card.identityKey, card.succession)
  if (!suite.ed25519Verify(card.identityKey, cardSigningInput(card), card.signature)) {
    throw new InvalidSignatureError('contact card signature does not verify')
  }
}

export function encodeContactCard(card: ContactCard): string {
  const bytes = ContactCardProto.encode({
    version: card.version,
    displayName: card.displayName,
    createdAt: card.createdAt,
    userId: card.userId as Uint8Array<ArrayBuffer>,
    identityKey: card.identityKey as Uint8Array<ArrayBuffer>,
    devicePeerId: card.devicePeerId as Uint8Array<ArrayBuffer>,
    signature: card.signature as Uint8Array<ArrayBuffer>,
    addrs: card.addrs.map((a) => a as Uint8Array<ArrayBuffer>),
    successionOriginIdentityKey: (card.succession?.originIdentityKey ?? EMPTY) as Uint8Array<ArrayBuffer>,
    successionSignature: (card.succession?.signature ?? EMPTY) as Uint8Array<ArrayBuffer>,
  })
  return CONTACT_CARD_PREFIX + toBase64url(bytes)
}

/** Parse a card string (untrusted): size cap, prefix, protobuf, field checks. Does not verify. */
export function decodeContactCard(text: string): ContactCard {
  if (typeof text !== 'string') throw new DecodeError('contact card must be a string')
  const trimmed = text.trim()
  if (trimmed.length > MAX_CONTACT_CARD_CHARS) throw new DecodeError('contact card is too long')
  if (!trimmed.startsWith(CONTACT_CARD_PREFIX))
    throw new DecodeError(`contact card must start with '${CONTACT_CARD_PREFIX}'`)
  const bytes = fromBase64url(trimmed.slice(CONTACT_CARD_PREFIX.length))
  let proto: ReturnType<typeof ContactCardProto.decode>
  try {
    proto = ContactCardProto.decode(bytes, { limits: { addrs: MAX_CARD_ADDRS } })
  } catch (cause) {
    throw new DecodeError('malformed contact card', { cause })
  }
  if (proto.version !== CONTACT_CARD_VERSION) {
    throw new UnsupportedVersionError(`unsupported contact card version ${proto.version}`)
  }
  checkDecodedLength('user id', proto.userId, USER_ID_BYTES)
  checkDecodedLength('identity key', proto.identityKey, ED25519_PUBLIC_KEY_BYTES)
  checkDecodedLength('signature', proto.signature, ED25519_SIGNATURE_BYTES)
  if (proto.devicePeerId.length === 0 || proto.devicePeerId.length > MAX_PEER_ID_BYTES) {
    throw new DecodeError('device peer id has a bad length')
  }
  for (const addr of proto.addrs) {
    if (addr.length === 0 || addr.length > MAX_MULTIADDR_BYTES)
      throw new DecodeError('address has a bad length')
  }
  checkDisplayName(proto.displayName)
  checkDecodedUint('createdAt', proto.createdAt)
  const succession = successionFromProto(proto.successionOriginIdentityKey, proto.successionSignature)
  return {
    version: proto.version,
    userId: proto.userId,
    identityKey: proto.identityKey,
    displayName: proto.displayName,
    devicePeerId: proto.devicePeerId,
    addrs: proto.addrs,
    createdAt: proto.createdAt,
    succession,
    signature: proto.signature,
  }
}

/** Both fields empty: no succession; both the right length: a succession; anything else: DecodeError. */
function successionFromProto(origin: Uint8Array, signature: Uint8Array): IdentitySuccession | null {
  if (origin.length === 0 && signature.length === 0) return null
  checkDecodedLength('succession origin identity key', origin, ED25519_PUBLIC_KEY_BYTES)
  checkDecodedLength('succession signature', signature, ED25519_SIGNATURE_BYTES)
  return { originIdentityKey: origin, signature }
}

/**
 * Decode and verify in one step (signature and user id binding): what `contacts.add` needs.
 * decodeContactCard alone only parses (it has no crypto suite to check the binding with).
 */
export function parseContactCard(suite: CryptoSuite, text: string): ContactCard {
  const card = decodeContactCard(text)
  verifyContactCard(suite, card)
  return card
}
