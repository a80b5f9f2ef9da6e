/**
 * The room's wire frames, parsed once at the edge into a typed union. A frame over
 * MAX_ROOM_FRAME_BYTES is refused before decoding; each kind must carry exactly its own fields
 * with their exact sizes and nothing else, so a parsed frame needs no further checks.
 *
 *   HELLO    initiator → responder  sid, share (Ya), ad (ADa)
 *   REPLY    responder → initiator  share (Yb), ad (ADb: label ‖ ratchet key), mac (responder's confirmation)
 *   CONFIRM  initiator → responder  mac (initiator's confirmation)
 *   MESSAGE  either way             message (a Double Ratchet message of padded content)
 *   ABORT    either way             reason (room full, key confirmation failed, protocol error)
 */
import { bytesEqual } from '../bytes.ts'
import { checkDecodedLength, checkDecodedRange, decodeCapped } from '../checks.ts'
import { DecodeError, UnsupportedVersionError } from '../errors.ts'
import { RoomFrame as RoomFrameProto } from '../proto/room.ts'
import {
  ABORT_REASONS,
  FRAME_ABORT,
  FRAME_CONFIRM,
  FRAME_HELLO,
  FRAME_MESSAGE,
  FRAME_REPLY,
  MAX_ROOM_AD_BYTES,
  MAX_ROOM_FRAME_BYTES,
  MAX_ROOM_MESSAGE_BYTES,
  RISTRETTO_BYTES,
  ROOM_MAC_BYTES,
  ROOM_SID_BYTES,
  ROOM_WIRE_VERSION,
} from './constants.ts'

export type RoomFrame =
  | { readonly kind: 'hello'; readonly sid: Uint8Array; readonly share: Uint8Array; readonly ad: Uint8Array }
  | { readonly kind: 'reply'; readonly share: Uint8Array; readonly ad: Uint8Array; readonly mac: Uint8Array }
  | { readonly kind: 'confirm'; readonly mac: Uint8Array }
  | { readonly kind: 'message'; readonly message: Uint8Array }
  | { readonly kind: 'abort'; readonly reason: number }

const EMPTY: Uint8Array<ArrayBuffer> = new Uint8Array(0)

export function encodeRoomFrame(frame: RoomFrame): Uint8Array {
  const base = {
    version: ROOM_WIRE_VERSION,
    kind: 0,
    sid: EMPTY,
    share: EMPTY,
    ad: EMPTY,
    mac: EMPTY,
    message: EMPTY,
    reason: 0,
  }
  switch (frame.kind) {
    case 'hello':
      return RoomFrameProto.encode({
        ...base,
        kind: FRAME_HELLO,
        sid: copy(frame.sid),
        share: copy(frame.share),
        ad: copy(frame.ad),
      })
    case 'reply':
      return RoomFrameProto.encode({
        ...base,
        kind: FRAME_REPLY,
        share: copy(frame.share),
        ad: copy(frame.ad),
        mac: copy(frame.mac),
      })
    case 'confirm':
      return RoomFrameProto.encode({ ...base, kind: FRAME_CONFIRM, mac: copy(frame.mac) })
    case 'message':
      return RoomFrameProto.encode({ ...base, kind: FRAME_MESSAGE, message: copy(frame.message) })
    case 'abort':
      return RoomFrameProto.encode({ ...base, kind: FRAME_ABORT, reason: frame.reason })
  }
}

type Decoded = ReturnType<typeof RoomFrameProto.decode>
type Field = 'sid' | 'share' | 'ad' | 'mac' | 'message'
const BYTE_FIELDS: readonly Field[] = ['sid', 'share', 'ad', 'mac', 'message']

/** Fields a kind does not use must be absent (empty): no smuggled bytes, one meaning per frame. */
function onlyFields(d: Decoded, used: readonly Field[], reasonUsed: boolean): void {
  for (const f of BYTE_FIELDS) {
    if (!used.includes(f) && d[f].length !== 0) throw new DecodeError(`unexpected ${f} in a room frame`)
  }
  if (!reasonUsed && d.reason !== 0) throw new DecodeError('unexpected reason in a room frame')
}

/**
 * The edge parser: size cap, version, kind, exact fields, and canonical encoding (the frame must
 * be byte for byte what encodeRoomFrame makes of it: protobuf decoders accept many encodings of
 * one value, and a relay must not be able to change a single byte unnoticed).
 * DecodeError / UnsupportedVersionError otherwise.
 */
export function decodeRoomFrame(bytes: Uint8Array): RoomFrame {
  const frame = parseRoomFrame(bytes)
  if (!bytesEqual(encodeRoomFrame(frame), bytes))
    throw new DecodeError('room frame is not canonically encoded')
  return frame
}

function parseRoomFrame(bytes: Uint8Array): RoomFrame {
  const d = decodeCapped('room frame', bytes, MAX_ROOM_FRAME_BYTES, (b) => RoomFrameProto.decode(b))
  if (d.version !== ROOM_WIRE_VERSION) throw new UnsupportedVersionError(`room frame version ${d.version}`)
  switch (d.kind) {
    case FRAME_HELLO:
      onlyFields(d, ['sid', 'share', 'ad'], false)
      checkDecodedLength('sid', d.sid, ROOM_SID_BYTES)
      checkDecodedLength('share', d.share, RISTRETTO_BYTES)
      checkDecodedRange('ad', d.ad, 1, MAX_ROOM_AD_BYTES)
      return { kind: 'hello', sid: copy(d.sid), share: copy(d.share), ad: copy(d.ad) }
    case FRAME_REPLY:
      onlyFields(d, ['share', 'ad', 'mac'], false)
      checkDecodedLength('share', d.share, RISTRETTO_BYTES)
      checkDecodedRange('ad', d.ad, 1, MAX_ROOM_AD_BYTES)
      checkDecodedLength('mac', d.mac, ROOM_MAC_BYTES)
      return { kind: 'reply', share: copy(d.share), ad: copy(d.ad), mac: copy(d.mac) }
    case FRAME_CONFIRM:
      onlyFields(d, ['mac'], false)
      checkDecodedLength('mac', d.mac, ROOM_MAC_BYTES)
      return { kind: 'confirm', mac: copy(d.mac) }
    case FRAME_MESSAGE:
      onlyFields(d, ['message'], false)
      checkDecodedRange('message', d.message, 1, MAX_ROOM_MESSAGE_BYTES)
      return { kind: 'message', message: copy(d.message) }
    case FRAME_ABORT:
      onlyFields(d, [], true)
      if (!ABORT_REASONS.has(d.reason)) throw new DecodeError(`unknown abort reason ${d.reason}`)
      return { kind: 'abort', reason: d.reason }
    default:
      throw new DecodeError(`unknown room frame kind ${d.kind}`)
  }
}

/** Own the bytes: protons hands out views into the input buffer. */
function copy(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(b)
}
