/**
 * The wire form of prekey bundles and of the one-time prekeys mailboxes hold: protobuf encode,
 * and decode of untrusted bytes (size cap first, every field's length checked). Decoding does
 * not verify signatures: prekey-bundle.ts does (verifyPrekeyBundle).
 */
import { bytesEqual } from './bytes.ts'
import { checkDecodedLength, checkDecodedRange, checkDecodedUint, decodeCapped } from './checks.ts'
import {
  MAX_BUNDLE_BYTES,
  MAX_INBOX_ID_BYTES,
  MAX_MAILBOX_ADDRS,
  MAX_MAILBOX_HINTS,
  MAX_MULTIADDR_BYTES,
  MAX_PEER_ID_BYTES,
  MAX_PREKEY_BYTES,
  PREKEY_BUNDLE_VERSION,
  USER_ID_BYTES,
} from './constants.ts'
import {
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SIGNATURE_BYTES,
  MLKEM768_PUBLIC_KEY_BYTES,
  X25519_KEY_BYTES,
} from './crypto/suite.ts'
import { deviceCertificateFromProto, deviceCertificateToProto } from './device-certificate.ts'
import { DecodeError, UnsupportedVersionError } from './errors.ts'
import type { IdentitySuccession } from './identity-succession.ts'
import type {
  MailboxHint,
  OneTimePrekey,
  PrekeyBundle,
  SignedKemPrekey,
  SignedPrekey,
} from './prekey-bundle.ts'
import {
  type IdentitySuccession as IdentitySuccessionProto,
  type MailboxHint as MailboxHintProto,
  OneTimePrekey as OneTimePrekeyProto,
  PrekeyBundle as PrekeyBundleProto,
  SignedKemPrekey as SignedKemPrekeyProto,
  type SignedPrekey as SignedPrekeyProto,
} from './proto/identity.ts'

type Buf = Uint8Array<ArrayBuffer>

function signedPrekeyFromProto(proto: SignedPrekeyProto | undefined): SignedPrekey {
  if (proto === undefined) throw new DecodeError('missing signed prekey')
  checkDecodedLength('signed prekey', proto.publicKey, X25519_KEY_BYTES)
  checkDecodedLength('signed prekey signature', proto.signature, ED25519_SIGNATURE_BYTES)
  return { id: proto.id, publicKey: proto.publicKey, signature: proto.signature }
}

function kemPrekeyFromProto(proto: SignedKemPrekeyProto | undefined): SignedKemPrekey {
  if (proto === undefined) throw new DecodeError('missing KEM prekey')
  checkDecodedLength('KEM prekey', proto.publicKey, MLKEM768_PUBLIC_KEY_BYTES)
  checkDecodedLength('KEM prekey signature', proto.signature, ED25519_SIGNATURE_BYTES)
  return {
    id: proto.id,
    publicKey: proto.publicKey,
    signature: proto.signature,
    lastResort: proto.lastResort,
  }
}

function mailboxFromProto(proto: MailboxHintProto): MailboxHint {
  checkDecodedRange('relay peer id', proto.relayPeerId, 1, MAX_PEER_ID_BYTES)
  checkDecodedRange('inbox id', proto.inboxId, 1, MAX_INBOX_ID_BYTES)
  for (const addr of proto.addrs) checkDecodedRange('mailbox multiaddr', addr, 1, MAX_MULTIADDR_BYTES)
  return { relayPeerId: proto.relayPeerId, inboxId: proto.inboxId, addrs: proto.addrs }
}

function successionFromProto(proto: IdentitySuccessionProto | undefined): IdentitySuccession | null {
  if (proto === undefined) return null
  checkDecodedLength('succession origin identity key', proto.originIdentityKey, ED25519_PUBLIC_KEY_BYTES)
  checkDecodedLength('succession signature', proto.signature, ED25519_SIGNATURE_BYTES)
  return { originIdentityKey: proto.originIdentityKey, signature: proto.signature }
}

export function encodePrekeyBundle(bundle: PrekeyBundle): Uint8Array {
  return PrekeyBundleProto.encode({
    version: bundle.version,
    identityKey: bundle.identityKey as Buf,
    deviceCertificate: deviceCertificateToProto(bundle.deviceCertificate),
    signedPrekey: bundle.signedPrekey as SignedPrekeyProto,
    kemPrekey: bundle.kemPrekey as SignedKemPrekeyProto,
    mailboxes: bundle.mailboxes as MailboxHintProto[],
    createdAt: bundle.createdAt,
    signature: bundle.signature as Buf,
    userId: bundle.userId as Buf,
    succession:
      bundle.succession === null
        ? undefined
        : {
            originIdentityKey: bundle.succession.originIdentityKey as Buf,
            signature: bundle.succession.signature as Buf,
          },
  })
}

/** Parse untrusted bytes (size cap MAX_BUNDLE_BYTES first). Does not verify: call verifyPrekeyBundle. */
export function decodePrekeyBundle(bytes: Uint8Array): PrekeyBundle {
  const proto = decodeCapped('prekey bundle', bytes, MAX_BUNDLE_BYTES, (b) =>
    PrekeyBundleProto.decode(b, {
      limits: { mailboxes: MAX_MAILBOX_HINTS, mailboxes$: { addrs: MAX_MAILBOX_ADDRS } },
    }),
  )
  if (proto.version !== PREKEY_BUNDLE_VERSION)
    throw new UnsupportedVersionError(`prekey bundle version ${proto.version}`)
  checkDecodedLength('identity key', proto.identityKey, ED25519_PUBLIC_KEY_BYTES)
  checkDecodedUint('createdAt', proto.createdAt)
  checkDecodedLength('bundle signature', proto.signature, ED25519_SIGNATURE_BYTES)
  checkDecodedLength('user id', proto.userId, USER_ID_BYTES)
  const bundle: PrekeyBundle = {
    version: proto.version,
    identityKey: proto.identityKey,
    userId: proto.userId,
    succession: successionFromProto(proto.succession),
    deviceCertificate: deviceCertificateFromProto(proto.deviceCertificate),
    signedPrekey: signedPrekeyFromProto(proto.signedPrekey),
    kemPrekey: kemPrekeyFromProto(proto.kemPrekey),
    mailboxes: proto.mailboxes.map(mailboxFromProto),
    createdAt: proto.createdAt,
    signature: proto.signature,
  }
  // Bundles are DHT records: accept only the canonical encoding, so one bundle has exactly one
  // byte form (protobuf would otherwise admit unknown fields, odd wire types, reordering).
  if (!bytesEqual(encodePrekeyBundle(bundle), bytes))
    throw new DecodeError('non-canonical prekey bundle encoding')
  return bundle
}

/** For one-time KEM prekeys stored at and handed out by mailboxes. */
export function encodeSignedKemPrekey(prekey: SignedKemPrekey): Uint8Array {
  return SignedKemPrekeyProto.encode(prekey as SignedKemPrekeyProto)
}

export function decodeSignedKemPrekey(bytes: Uint8Array): SignedKemPrekey {
  return kemPrekeyFromProto(
    decodeCapped('KEM prekey', bytes, MAX_PREKEY_BYTES, (b) => SignedKemPrekeyProto.decode(b)),
  )
}

/** For one-time X25519 prekeys stored at and handed out by mailboxes. */
export function encodeOneTimePrekey(prekey: OneTimePrekey): Uint8Array {
  return OneTimePrekeyProto.encode(prekey as OneTimePrekeyProto)
}

export function decodeOneTimePrekey(bytes: Uint8Array): OneTimePrekey {
  const proto = decodeCapped('one-time prekey', bytes, MAX_PREKEY_BYTES, (b) => OneTimePrekeyProto.decode(b))
  checkDecodedLength('one-time prekey', proto.publicKey, X25519_KEY_BYTES)
  return { id: proto.id, publicKey: proto.publicKey }
}
