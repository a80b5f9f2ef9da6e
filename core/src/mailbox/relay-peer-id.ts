/**
 * libp2p PeerId bytes of an Ed25519 key, without libp2p: an identity multihash (code 0x00,
 * length 36) of the protobuf-encoded public key { Type = Ed25519 (1), Data = 32 bytes }, as in
 * the libp2p peer-ids spec. Lets core check that a receipt's relayPeerId belongs to the key that
 * signed it, while core only ever handles the raw 32-byte public key.
 */
import { bytesEqual, concatBytes } from '../bytes.ts'
import { checkKey } from '../checks.ts'
import { ED25519_PUBLIC_KEY_BYTES } from '../crypto/suite.ts'

/** identity multihash header (0x00, 36) + protobuf PublicKey header (Type=1, Data length 32). */
const ED25519_PEER_ID_PREFIX = Uint8Array.of(0x00, 0x24, 0x08, 0x01, 0x12, 0x20)

export function ed25519PeerIdBytes(publicKey: Uint8Array): Uint8Array {
  checkKey('relay public key', publicKey, ED25519_PUBLIC_KEY_BYTES)
  return concatBytes(ED25519_PEER_ID_PREFIX, publicKey)
}

/** The raw Ed25519 public key inside Ed25519 PeerId bytes, or undefined for any other PeerId. */
export function ed25519PublicKeyFromPeerId(peerId: Uint8Array): Uint8Array | undefined {
  if (peerId.length !== ED25519_PEER_ID_PREFIX.length + ED25519_PUBLIC_KEY_BYTES) return undefined
  if (!bytesEqual(peerId.subarray(0, ED25519_PEER_ID_PREFIX.length), ED25519_PEER_ID_PREFIX)) return undefined
  return peerId.slice(ED25519_PEER_ID_PREFIX.length)
}
