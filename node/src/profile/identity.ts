/**
 * The identity secrets of a profile, as the profile session holds them: the fresh secrets of a
 * new identity, the secrets after identity.rotate, and the user id (derived from the origin
 * identity key, kept across identity.rotate). The non-secret identity record (display name,
 * creation time) is in ./records.ts.
 */
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import {
  generateIdentityKeyPair,
  identityKeyPairFromSeed,
  userIdFromIdentityKey,
} from '../../../core/src/identity.ts'
import type { KeystoreSecrets } from '../storage/keystore.ts'
import { STORAGE_KEY_BYTES } from '../storage/sealed-store.ts'

/** The secrets of a new identity: identity key, device key, libp2p key, storage key, no prekeys. */
export async function newIdentitySecrets(suite: CryptoSuite): Promise<KeystoreSecrets> {
  const identity = generateIdentityKeyPair(suite)
  const libp2pKey = await generateKeyPair('Ed25519')
  return {
    identitySeed: identity.secretKey,
    deviceKeySeed: suite.ed25519Generate().secretKey,
    libp2pPrivateKey: privateKeyToProtobuf(libp2pKey),
    storageKey: suite.randomBytes(STORAGE_KEY_BYTES),
    prekeys: [], // the prekey service generates and rotates them after unlock
  }
}

/** The secrets after identity.rotate: a new identity key; the origin key stays (the user id). */
export function rotatedIdentitySecrets(suite: CryptoSuite, secrets: KeystoreSecrets): KeystoreSecrets {
  return {
    ...secrets,
    identitySeed: generateIdentityKeyPair(suite).secretKey,
    originIdentitySeed: secrets.originIdentitySeed ?? secrets.identitySeed,
  }
}

/** The user id of a profile: derived from the origin identity key (the first one it had). */
export function profileUserId(suite: CryptoSuite, secrets: KeystoreSecrets): Uint8Array {
  const origin = identityKeyPairFromSeed(suite, secrets.originIdentitySeed ?? secrets.identitySeed)
  return userIdFromIdentityKey(suite, origin.publicKey)
}
