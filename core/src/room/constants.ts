/**
 * Ephemeral rooms (issue 19 item 1): two people who share a room code meet, authenticate with
 * CPace keyed by the code, and chat over a Double Ratchet held only in memory. Constants of the
 * code, the wire frames and the session; every number has its unit and reason.
 */

/**
 * Room code alphabet: Crockford's base32 without I, L, O, U (no 0/O or 1/I/L confusion when a
 * code is read aloud or copied by hand). 32 symbols: 5 bits per character.
 */
export const ROOM_CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
/** Shortest code accepted: 8 characters = 40 bits (the secure-CLI specification's lower bound). */
export const MIN_ROOM_CODE_CHARS = 8
/** Longest code accepted: 16 characters = 80 bits (the specification's upper bound). */
export const MAX_ROOM_CODE_CHARS = 16
/**
 * Length of a generated code: 12 characters = 60 bits. The rendezvous key is public in the DHT,
 * so anyone can test guesses offline at the slow hash's cost (~0.3 s each): 2^60 guesses is far
 * out of reach, while a 12-character code is still short enough to read over the phone.
 */
export const GENERATED_ROOM_CODE_CHARS = 12
/** Characters per group when a code is displayed (ABCD-EFGH-JKMN); separators are ignored. */
export const ROOM_CODE_GROUP_CHARS = 4

/** Wire version of RoomFrame (core/src/proto/room.proto). */
export const ROOM_WIRE_VERSION = 1
/** Frame kinds (RoomFrame.kind). */
export const FRAME_HELLO = 1
export const FRAME_REPLY = 2
export const FRAME_CONFIRM = 3
export const FRAME_MESSAGE = 4
export const FRAME_ABORT = 5
/** ABORT reasons (RoomFrame.reason). */
export const ABORT_ROOM_FULL = 1
export const ABORT_KEY_CONFIRMATION = 2
export const ABORT_PROTOCOL = 3
export const ABORT_REASONS: ReadonlySet<number> = new Set([
  ABORT_ROOM_FULL,
  ABORT_KEY_CONFIRMATION,
  ABORT_PROTOCOL,
])

/** CPace session id length chosen by the initiator (the draft asks for at least 8 bytes). */
export const ROOM_SID_BYTES = 16
/** A ristretto255 encoding (RFC 9496). */
export const RISTRETTO_BYTES = 32
/** Key confirmation MACs: HMAC-SHA256. */
export const ROOM_MAC_BYTES = 32
/** Our associated data in a CPace message: the room protocol label (ADa) or it plus B's ratchet key (ADb). */
export const MAX_ROOM_AD_BYTES = 64
/**
 * Largest ratchet message carried by a MESSAGE frame: a 4 KiB padding bucket (1,000 characters
 * of UTF-8 take at most 4,000 bytes, plus a kind byte and the pad marker) and the ratchet's
 * header and tag (~100 bytes).
 */
export const MAX_ROOM_MESSAGE_BYTES = 4 * 1024 + 256
/** Largest frame on the wire: a MESSAGE frame and its few header bytes. Anything bigger is refused before decoding. */
export const MAX_ROOM_FRAME_BYTES = MAX_ROOM_MESSAGE_BYTES + 64

/** Longest line a person may send, in characters (code points): the specification's limit. */
export const MAX_ROOM_LINE_CHARS = 1000
/** Plaintext kinds inside a MESSAGE (the first byte, before padding). */
export const CONTENT_TEXT = 1
export const CONTENT_BYE = 2

/** Token bucket on our own input: a burst of 5 lines, then one per second (anti-spam, the spec's rate limiter). */
export const INPUT_BUCKET_CAPACITY = 5
export const INPUT_REFILL_PER_SECOND = 1
/** The same bucket, more generous, on the peer's frames: a peer beyond it is misbehaving and the session ends. */
export const PEER_BUCKET_CAPACITY = 20
export const PEER_REFILL_PER_SECOND = 5

/** Domain separation of the keys derived from the CPace ISK. */
export const ROOM_KDF_INFO = 'wren/room/v1'
/** ADa: names the protocol and version, so a downgrade changes the transcript. */
export const ROOM_AD_LABEL = 'wren-room/1'
/** The initiator's first ratchet message: lets the responder's ratchet start sending (it must receive first). */
export const CONTENT_READY = 3
