/**
 * PQXDH key agreement (Signal, "The PQXDH Key Agreement Protocol", revision 3), with
 * curve = X25519, hash = SHA-256, pqkem = ML-KEM-768, info = 'Wren_PQXDH_X25519_SHA-256_ML-KEM-768'.
 * Identity keys are Ed25519; their X25519 forms (RFC 7748 §4.1 birational map) are used for DH,
 * and signatures by IK are checked with the Ed25519 form (spec §2.3 allows either arrangement).
 *
 *   DH1 = DH(IK_A, SPK_B)   DH2 = DH(EK_A, IK_B)   DH3 = DH(EK_A, SPK_B)   DH4 = DH(EK_A, OPK_B)
 *   (CT, SS) = PQKEM-ENC(PQPK_B)   — one-time KEM prekey when available, else last-resort
 *   SK = HKDF-SHA256(salt = 0^32, ikm = 0xFF^32 ‖ DH1 ‖ DH2 ‖ DH3 [‖ DH4] ‖ SS, info, 32)   (§2.2)
 *   AD = IK_A ‖ IK_B (Ed25519 public keys)                                                  (§3.3)
 */
import { concatBytes, utf8, wipe } from './bytes.ts'
import { checkKey } from './checks.ts'
import {
  type CryptoSuite,
  ED25519_PUBLIC_KEY_BYTES,
  type KeyPair,
  MLKEM768_CIPHERTEXT_BYTES,
  X25519_KEY_BYTES,
} from './crypto/suite.ts'
import { InvalidKeyError, InvalidStateError } from './errors.ts'
import { type IdentityKeyPair, identityDhPublicKey, identityDhSecretKey } from './identity.ts'
import {
  type OneTimePrekey,
  type PrekeyBundle,
  type SignedKemPrekey,
  verifyKemPrekey,
  verifyPrekeyBundleSignatures,
} from './prekey-bundle.ts'

/** What the initiator sends so the responder can repeat the computation (spec §3.3). */
export interface PqxdhHeader {
  /** Initiator's Ed25519 identity key. */
  readonly identityKey: Uint8Array
  /** Initiator's ephemeral X25519 public key EK_A. */
  readonly ephemeralKey: Uint8Array
  /** ML-KEM-768 ciphertext CT. */
  readonly kemCiphertext: Uint8Array
  readonly signedPrekeyId: number
  readonly kemPrekeyId: number
  /** true when CT is for a one-time KEM prekey, false for the last-resort one. */
  readonly kemPrekeyOneTime: boolean
  /** Present when a one-time X25519 prekey was used (DH4). */
  readonly oneTimePrekeyId?: number
}

export interface PqxdhInitiateInput {
  identity: IdentityKeyPair
  /**
   * Already verified with verifyPrekeyBundle (validity window). The signatures are checked again
   * here, which costs nothing for the same unchanged bundle object verifyPrekeyBundle accepted.
   */
  bundle: PrekeyBundle
  oneTimePrekey?: OneTimePrekey
  /** One-time KEM prekey of the same device (signature checked here). */
  oneTimeKemPrekey?: SignedKemPrekey
}

export interface PqxdhInitiateResult {
  /** SK, 32 bytes. */
  sharedSecret: Uint8Array
  associatedData: Uint8Array
  header: PqxdhHeader
  /** The responder's signed prekey: the first remote ratchet key (Double Ratchet §3.3). */
  remoteRatchetKey: Uint8Array
}

export interface PqxdhRespondInput {
  identity: IdentityKeyPair
  /** Key pair of the signed prekey named by header.signedPrekeyId. */
  signedPrekey: KeyPair
  /** Key pair (64-byte seed secret) of the KEM prekey named by header.kemPrekeyId. */
  kemPrekey: KeyPair
  /** Key pair of the one-time prekey named by header.oneTimePrekeyId, if any. */
  oneTimePrekey?: KeyPair
  header: PqxdhHeader
}

export interface PqxdhRespondResult {
  sharedSecret: Uint8Array
  associatedData: Uint8Array
}

const PQXDH_INFO = 'Wren_PQXDH_X25519_SHA-256_ML-KEM-768'
/** Spec §2.2: for X25519, F is 32 0xFF bytes (domain separation from XEdDSA). */
const KDF_PREFIX_BYTES = 32
/** Spec §2.2: the HKDF salt is a zero-filled byte sequence as long as the hash output. */
const KDF_SALT_BYTES = 32
/** SK length in bytes. */
const SHARED_SECRET_BYTES = 32

function kdf(suite: CryptoSuite, parts: Uint8Array[]): Uint8Array {
  const ikm = concatBytes(new Uint8Array(KDF_PREFIX_BYTES).fill(0xff), ...parts)
  const sk = suite.hkdf(ikm, new Uint8Array(KDF_SALT_BYTES), utf8(PQXDH_INFO), SHARED_SECRET_BYTES)
  wipe(ikm)
  return sk
}

/** Initiator side (spec §3.3). Verifies the bundle's signatures and the one-time KEM prekey first. */
export function pqxdhInitiate(suite: CryptoSuite, input: PqxdhInitiateInput): PqxdhInitiateResult {
  const { identity, bundle, oneTimePrekey, oneTimeKemPrekey } = input
  checkKey('identity key', identity.publicKey, ED25519_PUBLIC_KEY_BYTES)
  verifyPrekeyBundleSignatures(suite, bundle)
  if (oneTimeKemPrekey !== undefined) {
    verifyKemPrekey(suite, bundle.identityKey, oneTimeKemPrekey)
    if (oneTimeKemPrekey.lastResort) throw new InvalidKeyError('one-time KEM prekey is marked last-resort')
  }
  if (oneTimePrekey !== undefined) checkKey('one-time prekey', oneTimePrekey.publicKey, X25519_KEY_BYTES)

  const kemPrekey = oneTimeKemPrekey ?? bundle.kemPrekey
  const spk = bundle.signedPrekey.publicKey
  const ikB = identityDhPublicKey(suite, bundle.identityKey)
  const ikA = identityDhSecretKey(suite, identity.secretKey)
  const ek = suite.x25519Generate()
  const dh: Uint8Array[] = [
    suite.x25519(ikA, spk),
    suite.x25519(ek.secretKey, ikB),
    suite.x25519(ek.secretKey, spk),
  ]
  if (oneTimePrekey !== undefined) dh.push(suite.x25519(ek.secretKey, oneTimePrekey.publicKey))
  const { ciphertext, sharedSecret: ss } = suite.mlkemEncapsulate(kemPrekey.publicKey)
  const sharedSecret = kdf(suite, [...dh, ss])
  wipe(ikA, ek.secretKey, ss, ...dh)

  const header: PqxdhHeader = {
    identityKey: identity.publicKey.slice(),
    ephemeralKey: ek.publicKey,
    kemCiphertext: ciphertext,
    signedPrekeyId: bundle.signedPrekey.id,
    kemPrekeyId: kemPrekey.id,
    kemPrekeyOneTime: oneTimeKemPrekey !== undefined,
    ...(oneTimePrekey !== undefined ? { oneTimePrekeyId: oneTimePrekey.id } : {}),
  }
  return {
    sharedSecret,
    associatedData: concatBytes(identity.publicKey, bundle.identityKey),
    header,
    remoteRatchetKey: spk.slice(),
  }
}

/**
 * Responder side (spec §3.4). The caller looks up the key pairs named by the header's ids (and
 * deletes a used one-time prekey afterwards); this checks they are consistent with the header.
 * Checking whether the initiator's identity key is trusted is the caller's job.
 */
export function pqxdhRespond(suite: CryptoSuite, input: PqxdhRespondInput): PqxdhRespondResult {
  const { identity, signedPrekey, kemPrekey, oneTimePrekey, header } = input
  checkKey('identity key', identity.publicKey, ED25519_PUBLIC_KEY_BYTES)
  checkKey('initiator identity key', header.identityKey, ED25519_PUBLIC_KEY_BYTES)
  checkKey('initiator ephemeral key', header.ephemeralKey, X25519_KEY_BYTES)
  checkKey('KEM ciphertext', header.kemCiphertext, MLKEM768_CIPHERTEXT_BYTES)
  if ((header.oneTimePrekeyId !== undefined) !== (oneTimePrekey !== undefined))
    throw new InvalidStateError('one-time prekey does not match the PQXDH header')

  const ikA = identityDhPublicKey(suite, header.identityKey)
  const ikB = identityDhSecretKey(suite, identity.secretKey)
  const ek = header.ephemeralKey
  const dh: Uint8Array[] = [
    suite.x25519(signedPrekey.secretKey, ikA),
    suite.x25519(ikB, ek),
    suite.x25519(signedPrekey.secretKey, ek),
  ]
  if (oneTimePrekey !== undefined) dh.push(suite.x25519(oneTimePrekey.secretKey, ek))
  const ss = suite.mlkemDecapsulate(kemPrekey.secretKey, header.kemCiphertext)
  const sharedSecret = kdf(suite, [...dh, ss])
  wipe(ikB, ss, ...dh)
  return { sharedSecret, associatedData: concatBytes(header.identityKey, identity.publicKey) }
}
