/**
 * Prekey bundle (one per device): what an initiator needs to run PQXDH with that device, plus
 * where to leave mail for it. The identity key (IK) signs each prekey on its own (so one-time KEM
 * prekeys handed out by mailboxes can be checked alone, as in Signal's PQXDH §2.2) and the whole
 * bundle, over canonical signing inputs (core/src/signing-input.ts), never over protobuf bytes.
 * The bundle names its user id, bound to IK by derivation or by an identity succession signed by
 * the origin key (core/src/identity-succession.ts), so a rotated IK keeps the user's id.
 */

import { bytesEqual } from './bytes.ts'
import { checkKey, checkUint } from './checks.ts'
import {
  MAX_BUNDLE_AGE_MS,
  MAX_BUNDLE_FUTURE_SKEW_MS,
  MAX_INBOX_ID_BYTES,
  MAX_MAILBOX_ADDRS,
  MAX_MAILBOX_HINTS,
  MAX_MULTIADDR_BYTES,
  MAX_PEER_ID_BYTES,
  PREKEY_BUNDLE_VERSION,
} from './constants.ts'
import {
  type CryptoSuite,
  ED25519_PUBLIC_KEY_BYTES,
  MLKEM768_PUBLIC_KEY_BYTES,
  X25519_KEY_BYTES,
} from './crypto/suite.ts'
import {
  type DeviceCertificate,
  deviceCertificateSigningInput,
  verifyDeviceCertificate,
} from './device-certificate.ts'
import { ExpiredError, InvalidKeyError, InvalidSignatureError, UnsupportedVersionError } from './errors.ts'
import { type IdentityKeyPair, userIdFromIdentityKey } from './identity.ts'
import { type IdentitySuccession, verifyUserBinding } from './identity-succession.ts'
import { type SigningField, signingInput } from './signing-input.ts'

/** X25519 prekey signed by IK. */
export interface SignedPrekey {
  readonly id: number
  readonly publicKey: Uint8Array
  readonly signature: Uint8Array
}

/** ML-KEM-768 prekey signed by IK; `lastResort` is part of what is signed. */
export interface SignedKemPrekey {
  readonly id: number
  readonly publicKey: Uint8Array
  readonly signature: Uint8Array
  readonly lastResort: boolean
}

/** One-time X25519 prekey, unsigned as in Signal (held by mailboxes, handed out once). */
export interface OneTimePrekey {
  readonly id: number
  readonly publicKey: Uint8Array
}

export interface MailboxHint {
  readonly relayPeerId: Uint8Array
  readonly inboxId: Uint8Array
  /** Multiaddr bytes of the relay. */
  readonly addrs: Uint8Array[]
}

export interface PrekeyBundle {
  readonly version: number
  readonly identityKey: Uint8Array
  /** 16 bytes; derived from identityKey, or from succession.originIdentityKey after a key change. */
  readonly userId: Uint8Array
  /** Present only when identityKey is not the origin key the user id derives from. */
  readonly succession: IdentitySuccession | null
  readonly deviceCertificate: DeviceCertificate
  readonly signedPrekey: SignedPrekey
  /** The last-resort KEM prekey (one-time KEM prekeys come from mailboxes). */
  readonly kemPrekey: SignedKemPrekey
  readonly mailboxes: MailboxHint[]
  readonly createdAt: number
  readonly signature: Uint8Array
}

export interface PrekeyBundleFields {
  deviceCertificate: DeviceCertificate
  signedPrekey: SignedPrekey
  kemPrekey: SignedKemPrekey
  mailboxes: MailboxHint[]
  createdAt: number
  /** Default: the user id derived from the signing identity key. */
  userId?: Uint8Array
  /** Default: null (the signing identity key is the origin key). */
  succession?: IdentitySuccession | null
}

export interface VerifyPrekeyBundleOptions {
  /** Caller's clock, ms since epoch. */
  now: number
  /** When set, the bundle must belong to this identity key (e.g. a pinned contact). */
  identityKey?: Uint8Array
  /** When set, the bundle must name this user id (e.g. the DHT key it was stored under). */
  userId?: Uint8Array
}

const SIGNED_PREKEY_LABEL = 'wren/signed-prekey/v1'
const KEM_PREKEY_LABEL = 'wren/kem-prekey/v1'
const PREKEY_BUNDLE_LABEL = 'wren/prekey-bundle/v1'
/** Prekey ids are uint32 on the wire. */
const MAX_PREKEY_ID = 0xffffffff

// ---- memo of checked signatures

interface CheckedSignature {
  readonly publicKey: Uint8Array
  readonly signature: Uint8Array
  readonly input: Uint8Array
}

/**
 * Objects (prekeys, certificates, bundles) whose signature this module has checked or made, with
 * the key, signature and exact signing input of that moment. Checking the same unchanged object
 * again skips the Ed25519 verification: a responder bundling prekeys it has just signed, PQXDH
 * re-checking a bundle verifyPrekeyBundle accepted. The signing input is recomputed and compared
 * every time, so an object changed in place since, or checked against another key, is verified
 * in full again. A WeakMap: entries go away with their objects.
 */
const checkedSignatures = new WeakMap<object, CheckedSignature>()

function rememberChecked(
  object: object,
  publicKey: Uint8Array,
  signature: Uint8Array,
  input: Uint8Array,
): void {
  checkedSignatures.set(object, { publicKey: publicKey.slice(), signature: signature.slice(), input })
}

/**
 * Remember a signature just made, under the public key of the seed that made it (derived, not
 * taken from the pair: a pair whose halves do not match must not vouch for its signatures).
 */
function rememberSigned(
  suite: CryptoSuite,
  object: { readonly signature: Uint8Array },
  identity: IdentityKeyPair,
  input: Uint8Array,
): void {
  rememberChecked(object, suite.ed25519PublicKey(identity.secretKey), object.signature, input)
}

/** True when `object` was checked with this key and still has that signature and signing input. */
function checkedBefore(
  object: object,
  publicKey: Uint8Array,
  signature: Uint8Array,
  input: () => Uint8Array,
): boolean {
  const checked = checkedSignatures.get(object)
  return (
    checked !== undefined &&
    bytesEqual(checked.publicKey, publicKey) &&
    bytesEqual(checked.signature, signature) &&
    bytesEqual(checked.input, input())
  )
}

/** ed25519Verify, skipped for an object already checked unchanged under the same key. */
function verifyOnce(
  suite: CryptoSuite,
  object: object,
  publicKey: Uint8Array,
  signature: Uint8Array,
  input: () => Uint8Array,
): boolean {
  if (checkedBefore(object, publicKey, signature, input)) return true
  const bytes = input()
  if (!suite.ed25519Verify(publicKey, bytes, signature)) return false
  rememberChecked(object, publicKey, signature, bytes)
  return true
}

/** verifyDeviceCertificate, skipped for a certificate already checked unchanged. */
function verifyCertificateOnce(suite: CryptoSuite, cert: DeviceCertificate): void {
  const input = () => deviceCertificateSigningInput(cert)
  if (checkedBefore(cert, cert.identityKey, cert.signature, input)) return
  verifyDeviceCertificate(suite, cert)
  rememberChecked(cert, cert.identityKey, cert.signature, input())
}

// ---- prekeys

function signedPrekeyInput(id: number, publicKey: Uint8Array): Uint8Array {
  return signingInput(SIGNED_PREKEY_LABEL, [{ u32: id }, { bytes: publicKey }])
}

function kemPrekeyInput(id: number, publicKey: Uint8Array, lastResort: boolean): Uint8Array {
  return signingInput(KEM_PREKEY_LABEL, [{ u32: id }, { bytes: publicKey }, { bool: lastResort }])
}

export function signPrekey(
  suite: CryptoSuite,
  identity: IdentityKeyPair,
  id: number,
  x25519Public: Uint8Array,
): SignedPrekey {
  checkUint('prekey id', id, MAX_PREKEY_ID)
  checkKey('X25519 prekey', x25519Public, X25519_KEY_BYTES)
  const publicKey = x25519Public.slice()
  const input = signedPrekeyInput(id, publicKey)
  const prekey = { id, publicKey, signature: suite.ed25519Sign(identity.secretKey, input) }
  rememberSigned(suite, prekey, identity, input)
  return prekey
}

export function signKemPrekey(
  suite: CryptoSuite,
  identity: IdentityKeyPair,
  id: number,
  kemPublic: Uint8Array,
  lastResort: boolean,
): SignedKemPrekey {
  checkUint('KEM prekey id', id, MAX_PREKEY_ID)
  checkKey('ML-KEM prekey', kemPublic, MLKEM768_PUBLIC_KEY_BYTES)
  const publicKey = kemPublic.slice()
  const input = kemPrekeyInput(id, publicKey, lastResort)
  const prekey = { id, publicKey, signature: suite.ed25519Sign(identity.secretKey, input), lastResort }
  rememberSigned(suite, prekey, identity, input)
  return prekey
}

/** InvalidSignatureError unless IK signed this X25519 prekey. */
export function verifySignedPrekey(suite: CryptoSuite, identityKey: Uint8Array, prekey: SignedPrekey): void {
  const ok =
    Number.isInteger(prekey.id) &&
    prekey.id >= 0 &&
    prekey.id <= MAX_PREKEY_ID &&
    prekey.publicKey.length === X25519_KEY_BYTES &&
    verifyOnce(suite, prekey, identityKey, prekey.signature, () =>
      signedPrekeyInput(prekey.id, prekey.publicKey),
    )
  if (!ok) throw new InvalidSignatureError('signed prekey signature does not verify')
}

/** InvalidSignatureError unless IK signed this KEM prekey with this `lastResort` flag. */
export function verifyKemPrekey(suite: CryptoSuite, identityKey: Uint8Array, prekey: SignedKemPrekey): void {
  const ok =
    Number.isInteger(prekey.id) &&
    prekey.id >= 0 &&
    prekey.id <= MAX_PREKEY_ID &&
    prekey.publicKey.length === MLKEM768_PUBLIC_KEY_BYTES &&
    verifyOnce(suite, prekey, identityKey, prekey.signature, () =>
      kemPrekeyInput(prekey.id, prekey.publicKey, prekey.lastResort),
    )
  if (!ok) throw new InvalidSignatureError('KEM prekey signature does not verify')
}

// ---- bundle

function bundleSigningInput(bundle: Omit<PrekeyBundle, 'signature'>): Uint8Array {
  const cert = bundle.deviceCertificate
  const spk = bundle.signedPrekey
  const kem = bundle.kemPrekey
  const mailboxes: SigningField[][] = bundle.mailboxes.map((m) => [
    { bytes: m.relayPeerId },
    { bytes: m.inboxId },
    { list: m.addrs.map((addr) => [{ bytes: addr }]) },
  ])
  const succession: SigningField[][] =
    bundle.succession === null
      ? []
      : [[{ bytes: bundle.succession.originIdentityKey }, { bytes: bundle.succession.signature }]]
  return signingInput(PREKEY_BUNDLE_LABEL, [
    { u32: bundle.version },
    { bytes: bundle.identityKey },
    { bytes: bundle.userId },
    { list: succession },
    { bytes: deviceCertificateSigningInput(cert) },
    { bytes: cert.signature },
    { u32: spk.id },
    { bytes: spk.publicKey },
    { bytes: spk.signature },
    { u32: kem.id },
    { bytes: kem.publicKey },
    { bytes: kem.signature },
    { bool: kem.lastResort },
    { list: mailboxes },
    { u64: bundle.createdAt },
  ])
}

function checkMailboxHints(mailboxes: MailboxHint[], fail: (message: string) => Error): void {
  if (mailboxes.length > MAX_MAILBOX_HINTS) throw fail(`more than ${MAX_MAILBOX_HINTS} mailbox hints`)
  for (const m of mailboxes) {
    const ok =
      m.relayPeerId.length >= 1 &&
      m.relayPeerId.length <= MAX_PEER_ID_BYTES &&
      m.inboxId.length >= 1 &&
      m.inboxId.length <= MAX_INBOX_ID_BYTES &&
      m.addrs.length <= MAX_MAILBOX_ADDRS &&
      m.addrs.every((a) => a.length >= 1 && a.length <= MAX_MULTIADDR_BYTES)
    if (!ok) throw fail('malformed mailbox hint')
  }
}

export function signPrekeyBundle(
  suite: CryptoSuite,
  identity: IdentityKeyPair,
  fields: PrekeyBundleFields,
): PrekeyBundle {
  checkKey('identity key', identity.publicKey, ED25519_PUBLIC_KEY_BYTES)
  checkUint('createdAt', fields.createdAt, Number.MAX_SAFE_INTEGER)
  checkMailboxHints(fields.mailboxes, (message) => new InvalidKeyError(message))
  if (!bytesEqual(fields.deviceCertificate.identityKey, identity.publicKey))
    throw new InvalidKeyError('device certificate belongs to another identity key')
  if (!fields.kemPrekey.lastResort) throw new InvalidKeyError('bundle KEM prekey must be a last-resort key')
  const userId = fields.userId ?? userIdFromIdentityKey(suite, identity.publicKey)
  const succession = fields.succession ?? null
  // Refuse to publish what no one could verify (also checks ids and key lengths). Prekeys just
  // made by signPrekey/signKemPrekey and a certificate checked before cost no verification.
  verifyUserBinding(suite, userId, identity.publicKey, succession)
  verifyCertificateOnce(suite, fields.deviceCertificate)
  verifySignedPrekey(suite, identity.publicKey, fields.signedPrekey)
  verifyKemPrekey(suite, identity.publicKey, fields.kemPrekey)
  const unsigned = {
    version: PREKEY_BUNDLE_VERSION,
    identityKey: identity.publicKey.slice(),
    userId: userId.slice(),
    succession:
      succession === null
        ? null
        : {
            originIdentityKey: succession.originIdentityKey.slice(),
            signature: succession.signature.slice(),
          },
    deviceCertificate: fields.deviceCertificate,
    signedPrekey: fields.signedPrekey,
    kemPrekey: fields.kemPrekey,
    mailboxes: fields.mailboxes.map((m) => ({
      relayPeerId: m.relayPeerId.slice(),
      inboxId: m.inboxId.slice(),
      addrs: m.addrs.map((a) => a.slice()),
    })),
    createdAt: fields.createdAt,
  }
  return { ...unsigned, signature: suite.ed25519Sign(identity.secretKey, bundleSigningInput(unsigned)) }
}

/**
 * Full check of a bundle: version, IK signature over everything, the device certificate, both
 * prekey signatures, the user id binding (derivation or succession), and the validity window.
 * Throws UnsupportedVersionError, InvalidSignatureError, InvalidKeyError (KEM prekey not
 * last-resort, malformed user id or succession) or ExpiredError.
 */
export function verifyPrekeyBundle(
  suite: CryptoSuite,
  bundle: PrekeyBundle,
  options: VerifyPrekeyBundleOptions,
): void {
  verifyPrekeyBundleSignatures(suite, bundle)
  if (options.identityKey !== undefined && !bytesEqual(options.identityKey, bundle.identityKey))
    throw new InvalidSignatureError('bundle is signed by a different identity key')
  if (options.userId !== undefined && !bytesEqual(options.userId, bundle.userId))
    throw new InvalidSignatureError('bundle belongs to a different user id')
  if (bundle.createdAt > options.now + MAX_BUNDLE_FUTURE_SKEW_MS)
    throw new ExpiredError('prekey bundle is dated in the future')
  if (options.now - bundle.createdAt > MAX_BUNDLE_AGE_MS) throw new ExpiredError('prekey bundle is too old')
}

/**
 * Every check of verifyPrekeyBundle except the validity window (used again by PQXDH). A bundle
 * object that already passed, unchanged since (its signing input and signature are compared),
 * is not verified again: the IK signature covers every field these checks look at.
 */
export function verifyPrekeyBundleSignatures(suite: CryptoSuite, bundle: PrekeyBundle): void {
  if (bundle.version !== PREKEY_BUNDLE_VERSION)
    throw new UnsupportedVersionError(`prekey bundle version ${bundle.version}`)
  if (checkedBefore(bundle, bundle.identityKey, bundle.signature, () => bundleSigningInput(bundle))) return
  if (!bytesEqual(bundle.deviceCertificate.identityKey, bundle.identityKey))
    throw new InvalidSignatureError('device certificate belongs to another identity key')
  verifyCertificateOnce(suite, bundle.deviceCertificate)
  verifySignedPrekey(suite, bundle.identityKey, bundle.signedPrekey)
  verifyKemPrekey(suite, bundle.identityKey, bundle.kemPrekey)
  if (!bundle.kemPrekey.lastResort) throw new InvalidKeyError('bundle KEM prekey must be a last-resort key')
  if (!Number.isSafeInteger(bundle.createdAt) || bundle.createdAt < 0)
    throw new InvalidSignatureError('prekey bundle timestamp is malformed')
  checkMailboxHints(bundle.mailboxes, (message) => new InvalidSignatureError(message))
  verifyUserBinding(suite, bundle.userId, bundle.identityKey, bundle.succession)
  const input = bundleSigningInput(bundle)
  if (!suite.ed25519Verify(bundle.identityKey, input, bundle.signature))
    throw new InvalidSignatureError('prekey bundle signature does not verify')
  rememberChecked(bundle, bundle.identityKey, bundle.signature, input)
}
