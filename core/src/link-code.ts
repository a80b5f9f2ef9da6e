/**
 * The link code (issue 18): what a new device shows so that the identity's primary device can
 * link it — its libp2p PeerId, its Ed25519 device key, a one-time X25519 key and the addresses it
 * listens on for the primary's dial. The primary certifies the device key and runs the handshake
 * of link-handshake.ts against the one-time key; the code's bytes are in its transcript, so a code
 * changed on the way gives other keys and another confirmation number.
 *
 * String form: 'wren-link:' + base64url(protobuf LinkCode), also the QR payload.
 */
import { fromBase64url, toBase64url } from './base64url.ts'
import { checkDecodedLength, checkDecodedRange, checkKey, checkKeyRange, decodeCapped } from './checks.ts'
import { MAX_MULTIADDR_BYTES, MAX_PEER_ID_BYTES } from './constants.ts'
import { ED25519_PUBLIC_KEY_BYTES, X25519_KEY_BYTES } from './crypto/suite.ts'
import { DecodeError, UnsupportedVersionError } from './errors.ts'
import { LinkCode as LinkCodeProto } from './proto/link.ts'

export const LINK_CODE_VERSION = 1
/** Prefix of the string form: a pasted contact card or other text is rejected early. */
export const LINK_CODE_PREFIX = 'wren-link:'
/** A few addresses are enough for one dial; more would only make the QR code denser. */
export const MAX_LINK_ADDRS = 8
/**
 * Longest code string accepted, in characters: 8 addresses of 256 bytes plus keys and a PeerId
 * in base64url come to ≈ 2.9 k; real codes (2 or 3 addresses) are ≈ 250, a small QR code.
 */
export const MAX_LINK_CODE_CHARS = 3072
/** The encoded code's byte cap, from the character cap (4 base64url characters carry 3 bytes). */
const MAX_LINK_CODE_BYTES = (MAX_LINK_CODE_CHARS * 3) / 4

export interface LinkCode {
  readonly version: number
  readonly peerId: Uint8Array
  readonly deviceKey: Uint8Array
  readonly ephemeralKey: Uint8Array
  readonly addrs: readonly Uint8Array[]
}

/** The code's protobuf bytes: what the handshake transcript binds. */
export function linkCodeBytes(code: Omit<LinkCode, 'version'>): Uint8Array {
  checkKey('device key', code.deviceKey, ED25519_PUBLIC_KEY_BYTES)
  checkKey('ephemeral key', code.ephemeralKey, X25519_KEY_BYTES)
  checkKeyRange('peer id', code.peerId, 1, MAX_PEER_ID_BYTES)
  if (code.addrs.length > MAX_LINK_ADDRS) throw new RangeError(`over ${MAX_LINK_ADDRS} addresses`)
  for (const a of code.addrs) checkKeyRange('address', a, 1, MAX_MULTIADDR_BYTES)
  return LinkCodeProto.encode({
    version: LINK_CODE_VERSION,
    peerId: code.peerId as Uint8Array<ArrayBuffer>,
    deviceKey: code.deviceKey as Uint8Array<ArrayBuffer>,
    ephemeralKey: code.ephemeralKey as Uint8Array<ArrayBuffer>,
    addrs: code.addrs.map((a) => a as Uint8Array<ArrayBuffer>),
  })
}

export function encodeLinkCode(code: Omit<LinkCode, 'version'>): string {
  return LINK_CODE_PREFIX + toBase64url(linkCodeBytes(code))
}

/** Parse a code string (untrusted): size cap, prefix, protobuf, field checks. */
export function decodeLinkCode(text: string): { code: LinkCode; bytes: Uint8Array } {
  if (typeof text !== 'string') throw new DecodeError('link code must be a string')
  const trimmed = text.trim()
  if (trimmed.length > MAX_LINK_CODE_CHARS) throw new DecodeError('link code is too long')
  if (!trimmed.startsWith(LINK_CODE_PREFIX))
    throw new DecodeError(`link code must start with '${LINK_CODE_PREFIX}'`)
  const bytes = fromBase64url(trimmed.slice(LINK_CODE_PREFIX.length))
  const proto = decodeCapped('link code', bytes, MAX_LINK_CODE_BYTES, (b) =>
    LinkCodeProto.decode(b, { limits: { addrs: MAX_LINK_ADDRS } }),
  )
  if (proto.version !== LINK_CODE_VERSION)
    throw new UnsupportedVersionError(`unsupported link code version ${proto.version}`)
  checkDecodedRange('peer id', proto.peerId, 1, MAX_PEER_ID_BYTES)
  checkDecodedLength('device key', proto.deviceKey, ED25519_PUBLIC_KEY_BYTES)
  checkDecodedLength('ephemeral key', proto.ephemeralKey, X25519_KEY_BYTES)
  for (const a of proto.addrs) checkDecodedRange('address', a, 1, MAX_MULTIADDR_BYTES)
  return {
    code: {
      version: proto.version,
      peerId: proto.peerId,
      deviceKey: proto.deviceKey,
      ephemeralKey: proto.ephemeralKey,
      addrs: proto.addrs,
    },
    bytes,
  }
}
