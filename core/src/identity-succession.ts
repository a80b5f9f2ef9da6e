/**
 * Identity succession: how a user moves to a new identity key (IK) and keeps the user id their
 * contacts know. The user id is derived from the ORIGIN identity key (core/src/identity.ts), whose
 * secret stays in the keystore; the origin key signs each later identity key for that user id.
 *
 * A (userId, identityKey) pair is bound when
 *   - userId derives from identityKey (no succession: the key is the origin itself), or
 *   - a succession is present, userId derives from succession.originIdentityKey, and
 *     succession.signature is an Ed25519 signature by the origin key over
 *     signingInput('wren/identity-succession/v1', [userId, identityKey]).
 * So nobody without the origin secret can publish a bundle or card under someone's user id, while
 * a legitimate key change is visible to contacts as a changed identity key (TOFU key-change event).
 */
import { bytesEqual } from './bytes.ts'
import { checkKey } from './checks.ts'
import { USER_ID_BYTES } from './constants.ts'
import { type CryptoSuite, ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES } from './crypto/suite.ts'
import { InvalidKeyError, InvalidSignatureError } from './errors.ts'
import { type IdentityKeyPair, userIdFromIdentityKey } from './identity.ts'
import { signingInput } from './signing-input.ts'

/** The origin identity key's signature over (userId, a later identity key). */
export interface IdentitySuccession {
  /** Ed25519 public key the user id derives from, 32 bytes. */
  readonly originIdentityKey: Uint8Array
  /** Ed25519 signature by the origin key, 64 bytes. */
  readonly signature: Uint8Array
}

const SUCCESSION_LABEL = 'wren/identity-succession/v1'

function successionSigningInput(userId: Uint8Array, identityKey: Uint8Array): Uint8Array {
  return signingInput(SUCCESSION_LABEL, [{ bytes: userId }, { bytes: identityKey }])
}

/**
 * The origin identity signs `newIdentityKey` as its successor for the user id derived from the
 * origin key. InvalidKeyError when a key is malformed or the new key is the origin key itself
 * (the origin needs no succession).
 */
export function signIdentitySuccession(
  suite: CryptoSuite,
  origin: IdentityKeyPair,
  newIdentityKey: Uint8Array,
): IdentitySuccession {
  checkKey('origin identity key', origin.publicKey, ED25519_PUBLIC_KEY_BYTES)
  checkKey('new identity key', newIdentityKey, ED25519_PUBLIC_KEY_BYTES)
  if (bytesEqual(origin.publicKey, newIdentityKey))
    throw new InvalidKeyError('the origin identity key needs no succession')
  const userId = userIdFromIdentityKey(suite, origin.publicKey)
  return {
    originIdentityKey: origin.publicKey.slice(),
    signature: suite.ed25519Sign(origin.secretKey, successionSigningInput(userId, newIdentityKey)),
  }
}

/**
 * Throws unless `identityKey` may speak for `userId` (see the file comment). InvalidKeyError for
 * malformed inputs (lengths) or a redundant succession (identityKey is the origin key, which would
 * give one bundle two valid forms); InvalidSignatureError when the pair is not bound.
 */
export function verifyUserBinding(
  suite: CryptoSuite,
  userId: Uint8Array,
  identityKey: Uint8Array,
  succession: IdentitySuccession | null,
): void {
  checkKey('user id', userId, USER_ID_BYTES)
  checkKey('identity key', identityKey, ED25519_PUBLIC_KEY_BYTES)
  if (succession === null) {
    if (!bytesEqual(userIdFromIdentityKey(suite, identityKey), userId))
      throw new InvalidSignatureError(
        'user id does not derive from the identity key and no succession is given',
      )
    return
  }
  checkKey('succession origin identity key', succession.originIdentityKey, ED25519_PUBLIC_KEY_BYTES)
  checkKey('succession signature', succession.signature, ED25519_SIGNATURE_BYTES)
  if (bytesEqual(succession.originIdentityKey, identityKey))
    throw new InvalidKeyError('succession is redundant: the identity key is the origin key')
  if (!bytesEqual(userIdFromIdentityKey(suite, succession.originIdentityKey), userId))
    throw new InvalidSignatureError('user id does not derive from the succession origin key')
  const input = successionSigningInput(userId, identityKey)
  if (!suite.ed25519Verify(succession.originIdentityKey, input, succession.signature))
    throw new InvalidSignatureError('identity succession signature does not verify')
}

/** verifyUserBinding as a boolean (false for every failure, malformed inputs included). */
export function isUserBound(
  suite: CryptoSuite,
  userId: Uint8Array,
  identityKey: Uint8Array,
  succession: IdentitySuccession | null,
): boolean {
  try {
    verifyUserBinding(suite, userId, identityKey, succession)
    return true
  } catch (err) {
    if (err instanceof InvalidKeyError || err instanceof InvalidSignatureError) return false
    throw err
  }
}
