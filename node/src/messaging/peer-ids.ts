/** libp2p PeerIds from the multihash bytes stored in contact records, bundles and sessions. */
import type { PeerId } from '@libp2p/interface'
import { peerIdFromMultihash } from '@libp2p/peer-id'
import * as Digest from 'multiformats/hashes/digest'

export function peerIdFromBytes(bytes: Uint8Array): PeerId {
  return peerIdFromMultihash(Digest.decode(bytes))
}
