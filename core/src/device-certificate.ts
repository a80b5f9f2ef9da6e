/**
 * Device certificate: the identity key (IK) vouches for one device — its libp2p PeerId and its
 * Ed25519 device key. The device key's X25519 form is what sealed envelopes are addressed to.
 * Signature: Ed25519 by IK over signingInput('wren/device-certificate/v1', fields).
 */
import {
  checkDecodedLength,
  checkDecodedRange,
  checkDecodedUint,
  checkKey,
  checkKeyRange,
  checkUint,
} from './checks.ts'
import { DEVICE_CERTIFICATE_VERSION, MAX_DEVICE_CERTIFICATE_BYTES, MAX_PEER_ID_BYTES } from './constants.ts'
import { type CryptoSuite, ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES } from './crypto/suite.ts'
import { DecodeError, InvalidSignatureError, UnsupportedVersionError } from './errors.ts'
import type { IdentityKeyPair } from './identity.ts'
import { DeviceCertificate as DeviceCertificateProto } from './proto/identity.ts'
import { signingInput } from './signing-input.ts'

export interface DeviceCertificate {
  readonly version: number
  /** Ed25519 identity key of the owning user, 32 bytes. */
  readonly identityKey: Uint8Array
  /** libp2p PeerId bytes of the device. */
  readonly devicePeerId: Uint8Array
  /** Ed25519 public device key, 32 bytes. */
  readonly deviceKey: Uint8Array
  /** ms since epoch, set by the signer. */
  readonly createdAt: number
  readonly signature: Uint8Array
}

export interface DeviceCertificateFields {
  devicePeerId: Uint8Array
  deviceKey: Uint8Array
  createdAt: number
}

const DEVICE_CERTIFICATE_LABEL = 'wren/device-certificate/v1'

/** The canonical bytes IK signs for a certificate (also embedded in the bundle's signing input). */
export function deviceCertificateSigningInput(cert: Omit<DeviceCertificate, 'signature'>): Uint8Array {
  return signingInput(DEVICE_CERTIFICATE_LABEL, [
    { u32: cert.version },
    { bytes: cert.identityKey },
    { bytes: cert.devicePeerId },
    { bytes: cert.deviceKey },
    { u64: cert.createdAt },
  ])
}

export function signDeviceCertificate(
  suite: CryptoSuite,
  identity: IdentityKeyPair,
  fields: DeviceCertificateFields,
): DeviceCertificate {
  checkKey('identity key', identity.publicKey, ED25519_PUBLIC_KEY_BYTES)
  checkKeyRange('device peer id', fields.devicePeerId, 1, MAX_PEER_ID_BYTES)
  checkKey('device key', fields.deviceKey, ED25519_PUBLIC_KEY_BYTES)
  checkUint('createdAt', fields.createdAt, Number.MAX_SAFE_INTEGER)
  const unsigned = {
    version: DEVICE_CERTIFICATE_VERSION,
    identityKey: identity.publicKey.slice(),
    devicePeerId: fields.devicePeerId.slice(),
    deviceKey: fields.deviceKey.slice(),
    createdAt: fields.createdAt,
  }
  return {
    ...unsigned,
    signature: suite.ed25519Sign(identity.secretKey, deviceCertificateSigningInput(unsigned)),
  }
}

/** Throws UnsupportedVersionError or InvalidSignatureError; returns normally when valid. */
export function verifyDeviceCertificate(suite: CryptoSuite, cert: DeviceCertificate): void {
  if (cert.version !== DEVICE_CERTIFICATE_VERSION)
    throw new UnsupportedVersionError(`device certificate version ${cert.version}`)
  const wellFormed =
    cert.identityKey.length === ED25519_PUBLIC_KEY_BYTES &&
    cert.deviceKey.length === ED25519_PUBLIC_KEY_BYTES &&
    cert.devicePeerId.length >= 1 &&
    cert.devicePeerId.length <= MAX_PEER_ID_BYTES &&
    Number.isSafeInteger(cert.createdAt) &&
    cert.createdAt >= 0
  if (
    !wellFormed ||
    !suite.ed25519Verify(cert.identityKey, deviceCertificateSigningInput(cert), cert.signature)
  )
    throw new InvalidSignatureError('device certificate signature does not verify')
}

/** X25519 public form of a device key: the key sealed envelopes are addressed to. */
export function deviceDhPublicKey(suite: CryptoSuite, deviceKey: Uint8Array): Uint8Array {
  return suite.ed25519PublicToX25519(deviceKey)
}

/** X25519 secret form of a device key seed (opens envelopes). Caller should wipe it after use. */
export function deviceDhSecretKey(suite: CryptoSuite, deviceSeed: Uint8Array): Uint8Array {
  return suite.ed25519SeedToX25519(deviceSeed)
}

/** To the protobuf shape (shared with the prekey bundle codec). */
export function deviceCertificateToProto(cert: DeviceCertificate): DeviceCertificateProto {
  return {
    version: cert.version,
    identityKey: cert.identityKey as Uint8Array<ArrayBuffer>,
    devicePeerId: cert.devicePeerId as Uint8Array<ArrayBuffer>,
    deviceKey: cert.deviceKey as Uint8Array<ArrayBuffer>,
    createdAt: cert.createdAt,
    signature: cert.signature as Uint8Array<ArrayBuffer>,
  }
}

/** From a decoded protobuf: checks version and field sizes (not the signature). */
export function deviceCertificateFromProto(proto: DeviceCertificateProto | undefined): DeviceCertificate {
  if (proto === undefined) throw new DecodeError('missing device certificate')
  if (proto.version !== DEVICE_CERTIFICATE_VERSION)
    throw new UnsupportedVersionError(`device certificate version ${proto.version}`)
  checkDecodedLength('identity key', proto.identityKey, ED25519_PUBLIC_KEY_BYTES)
  checkDecodedRange('device peer id', proto.devicePeerId, 1, MAX_PEER_ID_BYTES)
  checkDecodedLength('device key', proto.deviceKey, ED25519_PUBLIC_KEY_BYTES)
  checkDecodedUint('createdAt', proto.createdAt)
  checkDecodedLength('signature', proto.signature, ED25519_SIGNATURE_BYTES)
  return {
    version: proto.version,
    identityKey: proto.identityKey,
    devicePeerId: proto.devicePeerId,
    deviceKey: proto.deviceKey,
    createdAt: proto.createdAt,
    signature: proto.signature,
  }
}

export function encodeDeviceCertificate(cert: DeviceCertificate): Uint8Array {
  return DeviceCertificateProto.encode(deviceCertificateToProto(cert))
}

/** Parse untrusted bytes (size cap first). Does not verify the signature. */
export function decodeDeviceCertificate(bytes: Uint8Array): DeviceCertificate {
  if (bytes.length > MAX_DEVICE_CERTIFICATE_BYTES)
    throw new DecodeError(`device certificate over ${MAX_DEVICE_CERTIFICATE_BYTES} bytes`)
  let proto: DeviceCertificateProto
  try {
    proto = DeviceCertificateProto.decode(bytes)
  } catch (cause) {
    throw new DecodeError('malformed device certificate', { cause })
  }
  return deviceCertificateFromProto(proto)
}
