/**
 * The sealed queue of a locked profile (issue 19): while the profile is locked the daemon holds
 * no secret that opens its store, yet messages that arrive must be kept until unlock. Each one is
 * sealed to the queue's X25519 public key, which the daemon keeps while locked; the secret half is
 * derived from the device key seed (in the passphrase-sealed keystore), so only an unlocked
 * profile opens the queue.
 *
 *   queue secret = HKDF-SHA256(ikm = deviceKeySeed, salt = '', info = 'wren/locked-queue/key/v1', 32)
 *   (ek, EK) fresh X25519;  dh = X25519(ek, queuePublic)
 *   key ‖ nonce = HKDF-SHA256(ikm = dh, salt = EK ‖ queuePublic, info = 'wren/locked-queue/v1', 32 + 12)
 *   item = u8(version) ‖ EK ‖ AES-256-GCM(key, nonce, plaintext, aad = u8(version) ‖ EK)
 * Each key is used once (fresh ek), so the derived nonce never repeats under a key.
 */
import { concatBytes, utf8 } from './bytes.ts'
import { checkKey } from './checks.ts'
import {
  AES_GCM_KEY_BYTES,
  AES_GCM_NONCE_BYTES,
  AES_GCM_TAG_BYTES,
  type CryptoSuite,
  X25519_KEY_BYTES,
} from './crypto/suite.ts'
import { DecodeError, TooLargeError, UnsupportedVersionError } from './errors.ts'

/** Version byte of a queue item; others are refused. */
export const LOCKED_QUEUE_VERSION = 1
/** Largest plaintext sealed into one item: one delivery request's envelope fits with room to spare. */
export const MAX_LOCKED_QUEUE_PLAINTEXT_BYTES = 1024 * 1024
/** Largest item opened: version, ephemeral key, the largest plaintext and its tag. */
export const MAX_LOCKED_QUEUE_ITEM_BYTES =
  1 + X25519_KEY_BYTES + MAX_LOCKED_QUEUE_PLAINTEXT_BYTES + AES_GCM_TAG_BYTES
const KEY_INFO = utf8('wren/locked-queue/key/v1')
const ITEM_INFO = utf8('wren/locked-queue/v1')
const HEADER_BYTES = 1 + X25519_KEY_BYTES

/** The queue's key pair, derived from the device key seed. */
export function lockedQueueKeyPair(
  suite: CryptoSuite,
  deviceKeySeed: Uint8Array,
): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const secretKey = suite.hkdf(deviceKeySeed, new Uint8Array(0), KEY_INFO, X25519_KEY_BYTES)
  return { publicKey: suite.x25519PublicKey(secretKey), secretKey }
}

function itemKeys(suite: CryptoSuite, dh: Uint8Array, ephemeral: Uint8Array, queuePublic: Uint8Array) {
  const okm = suite.hkdf(
    dh,
    concatBytes(ephemeral, queuePublic),
    ITEM_INFO,
    AES_GCM_KEY_BYTES + AES_GCM_NONCE_BYTES,
  )
  return { key: okm.subarray(0, AES_GCM_KEY_BYTES), nonce: okm.subarray(AES_GCM_KEY_BYTES) }
}

/** Seal `plaintext` to the queue's public key. */
export function sealToLockedQueue(
  suite: CryptoSuite,
  queuePublic: Uint8Array,
  plaintext: Uint8Array,
): Uint8Array {
  checkKey('queue public key', queuePublic, X25519_KEY_BYTES)
  if (plaintext.length > MAX_LOCKED_QUEUE_PLAINTEXT_BYTES)
    throw new TooLargeError('locked queue item too large')
  const ephemeral = suite.x25519Generate()
  const { key, nonce } = itemKeys(
    suite,
    suite.x25519(ephemeral.secretKey, queuePublic),
    ephemeral.publicKey,
    queuePublic,
  )
  const header = concatBytes(Uint8Array.of(LOCKED_QUEUE_VERSION), ephemeral.publicKey)
  return concatBytes(header, suite.aesGcmEncrypt(key, nonce, plaintext, header))
}

/** Open an item with the queue's key pair; DecodeError / UnsupportedVersionError when it does not open. */
export function openLockedQueueItem(
  suite: CryptoSuite,
  queue: { publicKey: Uint8Array; secretKey: Uint8Array },
  item: Uint8Array,
): Uint8Array {
  if (item.length > MAX_LOCKED_QUEUE_ITEM_BYTES) throw new DecodeError('locked queue item too large')
  if (item.length < HEADER_BYTES + AES_GCM_TAG_BYTES) throw new DecodeError('locked queue item too short')
  if (item[0] !== LOCKED_QUEUE_VERSION) throw new UnsupportedVersionError(`locked queue version ${item[0]}`)
  const header = item.subarray(0, HEADER_BYTES)
  const ephemeral = item.subarray(1, HEADER_BYTES)
  try {
    const dh = suite.x25519(queue.secretKey, ephemeral)
    const { key, nonce } = itemKeys(suite, dh, ephemeral, queue.publicKey)
    return suite.aesGcmDecrypt(key, nonce, item.subarray(HEADER_BYTES), header)
  } catch {
    // a low-order ephemeral key or a wrong tag: the item is not ours or was altered
    throw new DecodeError('locked queue item does not open')
  }
}
