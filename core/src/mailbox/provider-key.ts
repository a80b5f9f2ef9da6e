/**
 * The content id relays announce as DHT providers so devices can discover mailbox relays:
 * CIDv1, codec raw (0x55), multihash sha2-256 (0x12, 32 bytes) of utf8('wren-mailbox-v1').
 * Built by hand (no multiformats in core); parse with CID.decode() at the libp2p edge.
 */
import { concatBytes, utf8 } from '../bytes.ts'
import type { CryptoSuite } from '../crypto/suite.ts'
import { MAILBOX_PROVIDER_KEY } from './constants.ts'

/** CID version 1, multicodec raw, multihash sha2-256 with a 32-byte digest (all single-byte varints). */
const CID_V1_RAW_SHA256_PREFIX = Uint8Array.of(0x01, 0x55, 0x12, 0x20)

export function mailboxProviderCidBytes(suite: CryptoSuite): Uint8Array {
  return concatBytes(CID_V1_RAW_SHA256_PREFIX, suite.sha256(utf8(MAILBOX_PROVIDER_KEY)))
}
