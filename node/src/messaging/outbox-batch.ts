/**
 * Outbox batch sizing: how many bytes an item's envelope takes (exact once sealed, an upper bound
 * before), and the longest prefix of a peer's queue that fits its byte budget.
 */
import {
  ENVELOPE_OVERHEAD_BYTES,
  MAX_ENVELOPE_BYTES,
  MAX_PADDED_BYTES,
  SEALED_CONTENT_OVERHEAD_BYTES,
} from '../../../core/src/constants.ts'
import { paddedLength } from '../../../core/src/padding.ts'
import { DELIVERY_ENVELOPE_FRAMING_BYTES } from './content.ts'
import type { OutboxItem } from './vault.ts'

/** Protobuf bytes a batch of envelopes takes in a DeliveryRequest. */
export function batchBytesOf(items: readonly OutboxItem[]): number {
  let total = 0
  for (const item of items) total += estimatedEnvelopeBytes(item) + DELIVERY_ENVELOPE_FRAMING_BYTES
  return total
}

/**
 * Room a content takes beyond its own bytes once sealed: ratchet header and tag, or a whole
 * PQXDH prekey message (keys, ML-KEM ciphertext, signatures) on the first message of a session.
 */
const SEAL_OVERHEAD_BYTES = 4 * 1024

/** An item's envelope size: exact once encrypted, else an upper bound from its padding bucket. */
export function estimatedEnvelopeBytes(item: OutboxItem): number {
  if (item.envelope !== null) return item.envelope.length
  const sealed = item.content.length + SEALED_CONTENT_OVERHEAD_BYTES + SEAL_OVERHEAD_BYTES
  if (sealed >= MAX_PADDED_BYTES) return MAX_ENVELOPE_BYTES
  return paddedLength(sealed) + ENVELOPE_OVERHEAD_BYTES
}

/**
 * The longest prefix of `items` whose envelopes (with their framing) fit `budget` bytes; at least
 * one item, since a single envelope always fits a request (MAX_ENVELOPE_BYTES is far below it).
 */
export function withinBudget(
  items: readonly OutboxItem[],
  budget: number,
  size: (item: OutboxItem) => number,
): OutboxItem[] {
  const out: OutboxItem[] = []
  let total = 0
  for (const item of items) {
    const bytes = size(item) + DELIVERY_ENVELOPE_FRAMING_BYTES
    if (out.length > 0 && total + bytes > budget) break
    out.push(item)
    total += bytes
  }
  return out
}
