import { ENVELOPE_VERSION } from '../../core/src/constants.ts'
import { encodeEnvelope } from '../../core/src/envelope.ts'
import { encodeMailboxRequest } from '../../core/src/mailbox/request.ts'
import {
  KIND_ACK,
  KIND_CHALLENGE,
  KIND_CLAIM_PREKEY,
  KIND_DEPOSIT,
  KIND_FETCH,
  KIND_REGISTER,
  KIND_UPLOAD_PREKEYS,
} from '../../core/src/mailbox/status.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { encodeDeliveryRequest } from '../src/messaging/content.ts'

/** Largest random frame, bytes. */
export const MAX_RANDOM_FRAME_BYTES = 4096

export const random = seededRandom('abuse-bench')

export function randomInt(below: number): number {
  const b = random(4)
  return ((((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0) % below
}

export function varint(n: number): Uint8Array {
  const out: number[] = []
  let v = n
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80)
    v = Math.floor(v / 128)
  }
  out.push(v)
  return Uint8Array.from(out)
}

export function framed(body: Uint8Array): Uint8Array {
  const prefix = varint(body.length)
  const out = new Uint8Array(prefix.length + body.length)
  out.set(prefix)
  out.set(body, prefix.length)
  return out
}

/** One random frame: raw junk, a random body behind a valid prefix, or a prefix that lies. */
export function randomFrame(): Uint8Array {
  const body = random(1 + randomInt(MAX_RANDOM_FRAME_BYTES))
  switch (randomInt(3)) {
    case 0:
      return body
    case 1:
      return framed(body)
    default: {
      const prefix = varint(1_000_000 + randomInt(1 << 30))
      const out = new Uint8Array(prefix.length + body.length)
      out.set(prefix)
      out.set(body, prefix.length)
      return out
    }
  }
}

export function fakeEnvelope(): Uint8Array {
  return encodeEnvelope({ version: ENVELOPE_VERSION, ephemeralKey: random(32), ciphertext: random(200) })
}

export function forgedMailboxRequest(requestId: number): Uint8Array {
  const proof = { inboxId: random(32), nonce: random(32), signature: random(64) }
  switch (randomInt(7)) {
    case 0:
      return encodeMailboxRequest({ kind: KIND_CHALLENGE, requestId })
    case 1:
      return encodeMailboxRequest({
        kind: KIND_REGISTER,
        requestId,
        inboxPublicKey: random(32),
        nonce: random(32),
        signature: random(64),
      })
    case 2:
      return encodeMailboxRequest({
        kind: KIND_DEPOSIT,
        requestId,
        inboxId: random(32),
        envelope: fakeEnvelope(),
      })
    case 3:
      return encodeMailboxRequest({
        kind: KIND_FETCH,
        requestId,
        ...proof,
        cursor: new Uint8Array(0),
        limit: 10,
      })
    case 4:
      return encodeMailboxRequest({ kind: KIND_ACK, requestId, ...proof, hashes: [random(32)] })
    case 5:
      return encodeMailboxRequest({ kind: KIND_UPLOAD_PREKEYS, requestId, ...proof, prekeys: [random(64)] })
    default:
      return encodeMailboxRequest({ kind: KIND_CLAIM_PREKEY, requestId, inboxId: random(32) })
  }
}

export function forgedRequest(protocol: string, i: number): Uint8Array | null {
  if (protocol.startsWith('/wren/msg/'))
    return encodeDeliveryRequest(Array.from({ length: 1 + randomInt(4) }, fakeEnvelope))
  if (protocol.startsWith('/wren/mailbox/')) return forgedMailboxRequest(i)
  return null
}
