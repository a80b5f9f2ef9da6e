/**
 * Call signals: typed values ⇄ wire bytes (CallSignal in core/src/proto/call.proto).
 * decodeCallSignal is the edge parser of what a contact sends about a call: size cap first,
 * protons errors become DecodeError, the version must be ours, the kind known, and each kind
 * carries exactly its fields (a media key on INVITE and ACCEPT, text on OFFER / ANSWER / ICE, a
 * known reason on HANGUP) and nothing else — but ANSWERED_ELSEWHERE, whose key (the accepting
 * device's) is optional: a signal from a daemon before it carried one still stops the ringing.
 */
import { checkDecodedLength, checkDecodedUint, checkKey, decodeCapped } from '../checks.ts'
import { X25519_KEY_BYTES } from '../crypto/suite.ts'
import { DecodeError, InvalidKeyError, UnsupportedVersionError } from '../errors.ts'
import { CallSignal as CallSignalProto } from '../proto/call.ts'
import { encodeProtoString } from '../proto-string.ts'
import {
  CALL_ID_BYTES,
  CALL_WIRE_VERSION,
  DATA_SIGNALS,
  HANGUP_REASONS,
  KEYED_SIGNALS,
  MAX_CALL_SIGNAL_BYTES,
  MAX_MEDIA_DATA_BYTES,
  SIGNAL_ACCEPT,
  SIGNAL_ANSWER,
  SIGNAL_ANSWERED_ELSEWHERE,
  SIGNAL_BUSY,
  SIGNAL_DECLINE,
  SIGNAL_HANGUP,
  SIGNAL_ICE,
  SIGNAL_INVITE,
  SIGNAL_KINDS,
  SIGNAL_OFFER,
  SIGNAL_RINGING,
} from './constants.ts'

interface Base {
  readonly callId: Uint8Array
  /** Sender's clock, ms since the Unix epoch. */
  readonly sentAt: number
}

export type CallSignal =
  | (Base & { readonly kind: typeof SIGNAL_INVITE | typeof SIGNAL_ACCEPT; readonly mediaKey: Uint8Array })
  | (Base & {
      readonly kind: typeof SIGNAL_RINGING | typeof SIGNAL_BUSY | typeof SIGNAL_DECLINE
    })
  | (Base & {
      readonly kind: typeof SIGNAL_ANSWERED_ELSEWHERE
      /**
       * The media public key of the device that accepted (the one in its ACCEPT): that device
       * knows the call is its own; any other device of the callee's that accepted too is not in
       * the call. Null when the sender did not say.
       */
      readonly answeredKey: Uint8Array | null
    })
  | (Base & { readonly kind: typeof SIGNAL_HANGUP; readonly reason: number })
  | (Base & {
      readonly kind: typeof SIGNAL_OFFER | typeof SIGNAL_ANSWER | typeof SIGNAL_ICE
      readonly data: string
    })

export type CallSignalKind = CallSignal['kind']

/** The wire bytes of a signal; InvalidKeyError for a value no decoder would accept. */
export function encodeCallSignal(signal: CallSignal): Uint8Array {
  checkKey('call id', signal.callId, CALL_ID_BYTES)
  if (!Number.isSafeInteger(signal.sentAt) || signal.sentAt < 0)
    throw new InvalidKeyError('sentAt must be a non-negative integer')
  let mediaKey: Uint8Array = new Uint8Array(0)
  let data = ''
  let reason = 0
  if (signal.kind === SIGNAL_INVITE || signal.kind === SIGNAL_ACCEPT) {
    checkKey('media key', signal.mediaKey, X25519_KEY_BYTES)
    mediaKey = signal.mediaKey
  } else if (signal.kind === SIGNAL_ANSWERED_ELSEWHERE && signal.answeredKey !== null) {
    checkKey('answered key', signal.answeredKey, X25519_KEY_BYTES)
    mediaKey = signal.answeredKey
  } else if (signal.kind === SIGNAL_OFFER || signal.kind === SIGNAL_ANSWER || signal.kind === SIGNAL_ICE) {
    if (encodeProtoString(signal.data).length > MAX_MEDIA_DATA_BYTES)
      throw new InvalidKeyError(`media data over ${MAX_MEDIA_DATA_BYTES} bytes`)
    data = signal.data
  } else if (signal.kind === SIGNAL_HANGUP) {
    if (!HANGUP_REASONS.has(signal.reason))
      throw new InvalidKeyError(`unknown hang-up reason ${signal.reason}`)
    reason = signal.reason
  }
  return CallSignalProto.encode({
    version: CALL_WIRE_VERSION,
    callId: signal.callId as Uint8Array<ArrayBuffer>,
    kind: signal.kind,
    sentAt: signal.sentAt,
    mediaKey: mediaKey as Uint8Array<ArrayBuffer>,
    data,
    reason,
  })
}

/** Parse a contact's signal; DecodeError / UnsupportedVersionError for anything malformed. */
export function decodeCallSignal(bytes: Uint8Array): CallSignal {
  const proto = decodeCapped('call signal', bytes, MAX_CALL_SIGNAL_BYTES, (b) => CallSignalProto.decode(b))
  if (proto.version !== CALL_WIRE_VERSION)
    throw new UnsupportedVersionError(`call signal version ${proto.version}`)
  checkDecodedLength('call id', proto.callId, CALL_ID_BYTES)
  checkDecodedUint('sentAt', proto.sentAt)
  const { kind } = proto
  if (!SIGNAL_KINDS.has(kind)) throw new DecodeError(`unknown call signal kind ${kind}`)
  const keyed = KEYED_SIGNALS.has(kind)
  const carriesData = DATA_SIGNALS.has(kind)
  if (keyed) checkDecodedLength('media key', proto.mediaKey, X25519_KEY_BYTES)
  else if (kind === SIGNAL_ANSWERED_ELSEWHERE && proto.mediaKey.length !== 0)
    checkDecodedLength('answered key', proto.mediaKey, X25519_KEY_BYTES)
  else if (proto.mediaKey.length !== 0) throw new DecodeError('media key on a signal that carries none')
  if (!carriesData && proto.data !== '') throw new DecodeError('media data on a signal that carries none')
  if (carriesData && encodeProtoString(proto.data).length > MAX_MEDIA_DATA_BYTES)
    throw new DecodeError(`media data over ${MAX_MEDIA_DATA_BYTES} bytes`)
  if (kind === SIGNAL_HANGUP) {
    if (!HANGUP_REASONS.has(proto.reason)) throw new DecodeError(`unknown hang-up reason ${proto.reason}`)
  } else if (proto.reason !== 0) throw new DecodeError('reason on a signal that carries none')
  const base = { callId: proto.callId, sentAt: proto.sentAt }
  switch (kind) {
    case SIGNAL_INVITE:
    case SIGNAL_ACCEPT:
      return { ...base, kind, mediaKey: proto.mediaKey }
    case SIGNAL_HANGUP:
      return { ...base, kind, reason: proto.reason }
    case SIGNAL_OFFER:
    case SIGNAL_ANSWER:
    case SIGNAL_ICE:
      return { ...base, kind, data: proto.data }
    case SIGNAL_ANSWERED_ELSEWHERE:
      return { ...base, kind, answeredKey: proto.mediaKey.length === 0 ? null : proto.mediaKey }
    case SIGNAL_RINGING:
    case SIGNAL_BUSY:
    case SIGNAL_DECLINE:
      return { ...base, kind }
    default:
      throw new DecodeError(`unknown call signal kind ${kind}`)
  }
}
