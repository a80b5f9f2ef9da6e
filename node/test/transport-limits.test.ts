import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MAX_ENVELOPE_BYTES } from '../../core/src/constants.ts'
import {
  MAX_REQUEST_BYTES as MAILBOX_MAX_REQUEST_BYTES,
  MAX_RESPONSE_BYTES as MAILBOX_MAX_RESPONSE_BYTES,
} from '../../core/src/mailbox/constants.ts'
import {
  DELIVERY_BATCH_BYTES,
  DELIVERY_ENVELOPE_FRAMING_BYTES,
  MAX_DELIVERY_REQUEST_BYTES,
} from '../src/messaging/content.ts'
import { STREAM_READ_BUFFER_BYTES } from '../src/p2p/constants.ts'

/** A length prefix of a message under 4 MiB is at most 4 bytes (varint). */
const LENGTH_PREFIX_BYTES = 4

test('every framed request and response fits under the stream read buffer libp2p enforces (4 MiB)', () => {
  for (const [name, bytes] of [
    ['/wren/msg request', MAX_DELIVERY_REQUEST_BYTES],
    ['mailbox request', MAILBOX_MAX_REQUEST_BYTES],
    ['mailbox response (a fetch page)', MAILBOX_MAX_RESPONSE_BYTES],
  ] as const) {
    assert.ok(bytes + LENGTH_PREFIX_BYTES < STREAM_READ_BUFFER_BYTES, `${name}: ${bytes} B`)
  }
  // a sender's batch, even with one envelope over the budget, stays under the receiver's cap
  assert.ok(
    DELIVERY_BATCH_BYTES + MAX_ENVELOPE_BYTES + DELIVERY_ENVELOPE_FRAMING_BYTES < MAX_DELIVERY_REQUEST_BYTES,
  )
})
