/**
 * Device list: the set of devices that speak for one user, signed by the user's identity key
 * (issue 18). It is the DHT record /wren-devices/<userId> (device-list-record.ts) and carries:
 *   - the user id, the identity key and (after identity.rotate) the succession proof, bound
 *     exactly as a prekey bundle binds them (identity-succession.ts);
 *   - `listVersion`, which only grows: every change (a device added, a device revoked) is
 *     published as version + 1; the DHT keeps the highest valid version and contacts pin the
 *     highest version they have seen, refusing a lower one later (rollback);
 *   - the device certificates (device-certificate.ts), each signed by the same identity key;
 *   - revocations: device keys taken off the list, which never come back.
 * Signature: Ed25519 by IK over signingInput('wren/device-list/v1', fields) — never over the
 * protobuf bytes; decoding accepts only the canonical encoding, so one list has one byte form.
 */
import { bytesEqual, toHex } from './bytes.ts'
import { checkDecodedLength, checkDecodedUint, checkKey, checkUint, decodeCapped } from './checks.ts'
import { USER_ID_BYTES } from './constants.ts'
import { type CryptoSuite, ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES } from './crypto/suite.ts'
import {
  type DeviceCertificate,
  deviceCertificateFromProto,
  deviceCertificateSigningInput,
  deviceCertificateToProto,
  verifyDeviceCertificate,
} from './device-certificate.ts'
import { DecodeError, InvalidSignatureError, UnsupportedVersionError } from './errors.ts'
import type { IdentityKeyPair } from './identity.ts'
import { type IdentitySuccession, verifyUserBinding } from './identity-succession.ts'
import { DeviceList as DeviceListProto } from './proto/identity.ts'
import { signingInput } from './signing-input.ts'

/** Format version of the device list structure (not the list's own `listVersion`). */
export const DEVICE_LIST_FORMAT_VERSION = 1
/**
 * Devices one list may hold: Signal links up to 5 devices besides the phone; 16 leaves room for
 * laptops, desktops and restored profiles while keeping the record small.
 */
export const MAX_LIST_DEVICES = 16
/** Revocations one list may hold: every device ever revoked stays listed so it cannot return. */
export const MAX_LIST_REVOCATIONS = 64
/**
 * Encoded device list cap in bytes, checked before parsing: 16 certificates (≤ 230 B each) and 64
 * revocations (≤ 48 B each) with the header fit in ≈ 7 KiB; 16 KiB is the bundle record's cap too.
 */
export const MAX_DEVICE_LIST_BYTES = 16 * 1024

export interface DeviceRevocation {
  /** Ed25519 device key taken off the list, 32 bytes. */
  readonly deviceKey: Uint8Array
  /** ms since epoch, the signer's clock. */
  readonly revokedAt: number
}

export interface DeviceList {
  readonly version: number
  readonly userId: Uint8Array
  readonly identityKey: Uint8Array
  readonly succession: IdentitySuccession | null
  /** Grows by one with every change; the highest valid one wins. */
  readonly listVersion: number
  readonly devices: readonly DeviceCertificate[]
  readonly revocations: readonly DeviceRevocation[]
  /** ms since epoch, set by the signer. */
  readonly createdAt: number
  readonly signature: Uint8Array
}

export interface DeviceListFields {
  userId: Uint8Array
  succession: IdentitySuccession | null
  listVersion: number
  devices: readonly DeviceCertificate[]
  revocations: readonly DeviceRevocation[]
  createdAt: number
}

const DEVICE_LIST_LABEL = 'wren/device-list/v1'

type Buf = Uint8Array<ArrayBuffer>

function listSigningInput(list: Omit<DeviceList, 'signature'>): Uint8Array {
  return signingInput(DEVICE_LIST_LABEL, [
    { u32: list.version },
    { bytes: list.userId },
    { bytes: list.identityKey },
    { u64: list.listVersion },
    { u64: list.createdAt },
    {
      list: list.devices.map((cert) => [
        { bytes: deviceCertificateSigningInput(cert) },
        { bytes: cert.signature },
      ]),
    },
    { list: list.revocations.map((r) => [{ bytes: r.deviceKey }, { u64: r.revokedAt }]) },
  ])
}

/** Sign a device list with the identity key. Throws InvalidKeyError / DecodeError on bad fields. */
export function signDeviceList(
  suite: CryptoSuite,
  identity: IdentityKeyPair,
  fields: DeviceListFields,
): DeviceList {
  checkKey('user id', fields.userId, USER_ID_BYTES)
  checkUint('listVersion', fields.listVersion, Number.MAX_SAFE_INTEGER)
  checkUint('createdAt', fields.createdAt, Number.MAX_SAFE_INTEGER)
  const unsigned = {
    version: DEVICE_LIST_FORMAT_VERSION,
    userId: fields.userId.slice(),
    identityKey: identity.publicKey.slice(),
    succession: fields.succession,
    listVersion: fields.listVersion,
    devices: [...fields.devices],
    revocations: [...fields.revocations],
    createdAt: fields.createdAt,
  }
  checkShape(unsigned)
  return { ...unsigned, signature: suite.ed25519Sign(identity.secretKey, listSigningInput(unsigned)) }
}

/** Structural rules every list obeys (counts, one entry per device key, nobody both listed and revoked). */
function checkShape(list: Omit<DeviceList, 'signature'>): void {
  if (list.listVersion < 1) throw new DecodeError('device list version starts at 1')
  if (list.devices.length === 0) throw new DecodeError('a device list names at least one device')
  if (list.devices.length > MAX_LIST_DEVICES)
    throw new DecodeError(`device list over ${MAX_LIST_DEVICES} devices`)
  if (list.revocations.length > MAX_LIST_REVOCATIONS)
    throw new DecodeError(`device list over ${MAX_LIST_REVOCATIONS} revocations`)
  const seen = new Set<string>()
  for (const key of [...list.devices.map((d) => d.deviceKey), ...list.revocations.map((r) => r.deviceKey)]) {
    const hex = toHex(key)
    if (seen.has(hex)) throw new DecodeError('a device key appears twice in the device list')
    seen.add(hex)
  }
}

/**
 * Throws unless the list is a valid list of `userId`: format version, user binding, shape, every
 * certificate signed by the list's identity key, and the list's own signature.
 */
export function verifyDeviceList(suite: CryptoSuite, list: DeviceList, userId: Uint8Array): void {
  if (list.version !== DEVICE_LIST_FORMAT_VERSION)
    throw new UnsupportedVersionError(`device list version ${list.version}`)
  if (!bytesEqual(list.userId, userId)) throw new InvalidSignatureError('device list of another user')
  verifyUserBinding(suite, list.userId, list.identityKey, list.succession)
  checkShape(list)
  for (const cert of list.devices) {
    if (!bytesEqual(cert.identityKey, list.identityKey))
      throw new InvalidSignatureError('device certificate signed by another identity key')
    verifyDeviceCertificate(suite, cert)
  }
  if (!suite.ed25519Verify(list.identityKey, listSigningInput(list), list.signature))
    throw new InvalidSignatureError('device list signature does not verify')
}

export function encodeDeviceList(list: DeviceList): Uint8Array {
  return DeviceListProto.encode({
    version: list.version,
    userId: list.userId as Buf,
    identityKey: list.identityKey as Buf,
    succession:
      list.succession === null
        ? undefined
        : {
            originIdentityKey: list.succession.originIdentityKey as Buf,
            signature: list.succession.signature as Buf,
          },
    listVersion: list.listVersion,
    devices: list.devices.map(deviceCertificateToProto),
    revocations: list.revocations.map((r) => ({ deviceKey: r.deviceKey as Buf, revokedAt: r.revokedAt })),
    createdAt: list.createdAt,
    signature: list.signature as Buf,
  })
}

/** Parse untrusted bytes (size cap first, canonical form only). Does not verify: see verifyDeviceList. */
export function decodeDeviceList(bytes: Uint8Array): DeviceList {
  const proto = decodeCapped('device list', bytes, MAX_DEVICE_LIST_BYTES, (b) =>
    DeviceListProto.decode(b, {
      limits: { devices: MAX_LIST_DEVICES, revocations: MAX_LIST_REVOCATIONS },
    }),
  )
  if (proto.version !== DEVICE_LIST_FORMAT_VERSION)
    throw new UnsupportedVersionError(`device list version ${proto.version}`)
  checkDecodedLength('user id', proto.userId, USER_ID_BYTES)
  checkDecodedLength('identity key', proto.identityKey, ED25519_PUBLIC_KEY_BYTES)
  checkDecodedUint('listVersion', proto.listVersion)
  checkDecodedUint('createdAt', proto.createdAt)
  checkDecodedLength('device list signature', proto.signature, ED25519_SIGNATURE_BYTES)
  let succession: IdentitySuccession | null = null
  if (proto.succession !== undefined) {
    checkDecodedLength('succession origin', proto.succession.originIdentityKey, ED25519_PUBLIC_KEY_BYTES)
    checkDecodedLength('succession signature', proto.succession.signature, ED25519_SIGNATURE_BYTES)
    succession = {
      originIdentityKey: proto.succession.originIdentityKey,
      signature: proto.succession.signature,
    }
  }
  const list: DeviceList = {
    version: proto.version,
    userId: proto.userId,
    identityKey: proto.identityKey,
    succession,
    listVersion: proto.listVersion,
    devices: proto.devices.map(deviceCertificateFromProto),
    revocations: proto.revocations.map((r) => {
      checkDecodedLength('revoked device key', r.deviceKey, ED25519_PUBLIC_KEY_BYTES)
      checkDecodedUint('revokedAt', r.revokedAt)
      return { deviceKey: r.deviceKey, revokedAt: r.revokedAt }
    }),
    createdAt: proto.createdAt,
    signature: proto.signature,
  }
  checkShape(list)
  if (!bytesEqual(encodeDeviceList(list), bytes)) throw new DecodeError('non-canonical device list encoding')
  return list
}
