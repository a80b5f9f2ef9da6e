/**
 * The keys an unlocked profile's node works with, derived once from the keystore's secrets: the
 * current identity key, the user id (from the origin key, kept across identity.rotate), the
 * succession proof when the key was rotated, and the device key.
 */
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import {
  type IdentityKeyPair,
  identityKeyPairFromSeed,
  userIdFromIdentityKey,
} from '../../../core/src/identity.ts'
import { type IdentitySuccession, signIdentitySuccession } from '../../../core/src/identity-succession.ts'
import type { KeystoreSecrets } from '../storage/keystore.ts'

export interface IdentityMaterial {
  identity: IdentityKeyPair
  /** 16 bytes, derived from the origin identity key. */
  userId: Uint8Array
  /** The origin key's signature over the current one, or null when it was never rotated. */
  succession: IdentitySuccession | null
  /** Ed25519 device key pair (seed as secretKey). */
  deviceKey: { publicKey: Uint8Array; secretKey: Uint8Array }
}

export function deriveIdentityMaterial(suite: CryptoSuite, secrets: KeystoreSecrets): IdentityMaterial {
  const identity = identityKeyPairFromSeed(suite, secrets.identitySeed)
  // after identity.rotate the origin signs the current key (succession); bundles, cards and
  // messages carry that proof, and the user id stays the origin's
  const origin =
    secrets.originIdentitySeed === undefined
      ? identity
      : identityKeyPairFromSeed(suite, secrets.originIdentitySeed)
  return {
    identity,
    userId: userIdFromIdentityKey(suite, origin.publicKey),
    succession: origin === identity ? null : signIdentitySuccession(suite, origin, identity.publicKey),
    deviceKey: {
      publicKey: suite.ed25519PublicKey(secrets.deviceKeySeed),
      secretKey: secrets.deviceKeySeed,
    },
  }
}
