/** Group payload codecs: round trips, and random / truncated / bit-flipped bytes give only typed errors. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { fuzzDecoder } from '../../test/fixtures/fuzz.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { RECEIPT_READ } from '../src/groups/constants.ts'
import {
  decodeContent,
  decodeMessageCopy,
  decodeOpsPayload,
  decodeReceipts,
  decodeSenderKeyMsg,
  decodeWire,
  encodeContent,
  encodeMessageCopy,
  encodeOpsPayload,
  encodeReceipts,
  encodeSenderKeyMsg,
  encodeWire,
} from '../src/groups/wire.ts'

const random = seededRandom('group-wire')
const groupId = random(16)

const samples = {
  ops: encodeOpsPayload({ groupId, ops: [random(300), random(40)], cards: ['wren:abc'], invite: true }),
  key: encodeSenderKeyMsg({ groupId, epoch: 3, distribution: random(90) }),
  copy: encodeMessageCopy({ groupId, wire: random(400) }),
  receipts: encodeReceipts({ groupId, kind: RECEIPT_READ, messageIds: [random(16), random(16)] }),
  wire: encodeWire({ nonce: random(16), message: random(200) }),
  content: encodeContent({ messageId: random(16), text: 'héllo', sentAt: 1234, groupId, epoch: 2 }),
}

describe('group payload codecs', () => {
  test('every payload round-trips', () => {
    assert.equal(decodeOpsPayload(samples.ops).ops.length, 2)
    assert.equal(decodeOpsPayload(samples.ops).invite, true)
    assert.equal(decodeSenderKeyMsg(samples.key).epoch, 3)
    assert.equal(decodeMessageCopy(samples.copy).wire.length, 400)
    assert.equal(decodeReceipts(samples.receipts).messageIds.length, 2)
    assert.equal(decodeWire(samples.wire).message.length, 200)
    const content = decodeContent(samples.content)
    assert.equal(content.text, 'héllo')
    assert.equal(content.sentAt, 1234)
  })

  const decoders: Array<[string, (b: Uint8Array) => unknown, Uint8Array]> = [
    ['ops payload', decodeOpsPayload, samples.ops],
    ['sender key payload', decodeSenderKeyMsg, samples.key],
    ['message copy', decodeMessageCopy, samples.copy],
    ['receipts', decodeReceipts, samples.receipts],
    ['wire', decodeWire, samples.wire],
    ['content', decodeContent, samples.content],
  ]
  for (const [name, decode, sample] of decoders) {
    test(`${name}: random, truncated and mutated bytes give only typed errors`, () => {
      const result = fuzzDecoder(decode, { seed: name, runs: 300, samples: [sample] })
      assert.ok(result.rejected > 0)
    })
  }
})
