/** Group payload codecs: round trips, and random / truncated / bit-flipped bytes give only typed errors. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ACTION_EDIT, ACTION_REACT } from '../../core/src/conversation/constants.ts'
import { DecodeError } from '../../core/src/errors.ts'
import { MAX_FILE_POINTER_BYTES } from '../../core/src/file/constants.ts'
import { TimerChange } from '../../core/src/proto/timer.ts'
import { fuzzDecoder } from '../../test/fixtures/fuzz.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import {
  MAX_GROUP_CONTENT_BYTES,
  MAX_GROUP_MENTIONS,
  MAX_GROUP_TEXT_BYTES,
  RECEIPT_READ,
} from '../src/groups/constants.ts'
import { GroupContent } from '../src/groups/proto/groups.ts'
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
  line: encodeContent({
    messageId: random(16),
    text: '@Ann see above',
    sentAt: 1235,
    groupId,
    epoch: 2,
    replyTo: { id: random(16), author: random(16), text: 'see above' },
    forwarded: true,
    mentions: [random(16), random(16)],
  }),
  file: encodeContent({
    messageId: random(16),
    text: '',
    sentAt: 1237,
    groupId,
    epoch: 2,
    attachment: random(900),
  }),
  action: encodeContent({
    messageId: random(16),
    text: '',
    sentAt: 1236,
    groupId,
    epoch: 2,
    action: { kind: ACTION_REACT, targetId: random(16), targetAuthor: random(16), sentAt: 1236, emoji: '👍' },
  }),
  timer: encodeContent({
    messageId: random(16),
    text: '',
    sentAt: 1238,
    groupId,
    epoch: 2,
    timerChange: { seconds: 300, setAt: 1238 },
  }),
}

/** Random bytes as protons' fields type them. */
const r = (n: number) => random(n) as Uint8Array<ArrayBuffer>

/** A GroupContent as protons builds it, from a valid text content with `fields` changed. */
function contentWith(fields: Partial<Parameters<typeof GroupContent.encode>[0]>): Uint8Array {
  return GroupContent.encode({ ...GroupContent.decode(samples.content), ...fields })
}

describe('group content: replies, forwards, mentions and actions', () => {
  test('a line with a reply, a forward and mentions round-trips; so does an action', () => {
    const line = decodeContent(samples.line)
    assert.equal(line.replyTo?.text, 'see above')
    assert.equal(line.forwarded, true)
    assert.equal(line.mentions?.length, 2)
    assert.equal(line.action, undefined)
    const action = decodeContent(samples.action)
    assert.equal(action.text, '')
    assert.equal(action.action?.kind, ACTION_REACT)
    assert.deepEqual(decodeContent(samples.content).mentions, undefined)
  })

  test('an action content carrying anything else, or a bad action, is refused', () => {
    const action = GroupContent.decode(samples.action).action
    const bad: Array<[string, Uint8Array]> = [
      ['text', contentWith({ action, text: 'x' })],
      ['forwarded', contentWith({ action, text: '', forwarded: true })],
      ['mentions', contentWith({ action, text: '', mentions: [r(16)] })],
      ['reply', contentWith({ action, text: '', replyToId: r(16), replyToAuthor: r(16) })],
      ['garbage action', contentWith({ action: r(40), text: '' })],
    ]
    for (const [what, bytes] of bad) assert.throws(() => decodeContent(bytes), DecodeError, what)
  })

  test('a file line may have no caption; its pointer is capped and shares the text budget; no action carries one', () => {
    const file = decodeContent(samples.file)
    assert.equal(file.text, '')
    assert.equal(file.attachment?.length, 900)
    assert.equal(decodeContent(samples.content).attachment, undefined)
    const action = GroupContent.decode(samples.action).action
    const bad: Array<[string, Uint8Array]> = [
      ['no text and no file', contentWith({ text: '' })],
      ['pointer over its cap', contentWith({ text: '', attachment: r(MAX_FILE_POINTER_BYTES + 1) })],
      [
        'caption and pointer over the text cap',
        contentWith({ text: 'x'.repeat(MAX_GROUP_TEXT_BYTES - 100), attachment: r(101) }),
      ],
      ['an action with a file', contentWith({ action, text: '', attachment: r(100) })],
    ]
    for (const [what, bytes] of bad) assert.throws(() => decodeContent(bytes), DecodeError, what)
  })

  test('a timer change round-trips and carries nothing else; a bad timer is refused', () => {
    const timer = decodeContent(samples.timer)
    assert.deepEqual(timer.timerChange, { seconds: 300, setAt: 1238 })
    assert.equal(timer.text, '')
    assert.equal(decodeContent(samples.content).timerChange, undefined)
    const change = GroupContent.decode(samples.timer).timerChange
    const action = GroupContent.decode(samples.action).action
    const bad: Array<[string, Uint8Array]> = [
      ['with text', contentWith({ timerChange: change, text: 'x' })],
      ['with an action', contentWith({ timerChange: change, text: '', action })],
      ['with a file', contentWith({ timerChange: change, text: '', attachment: r(100) })],
      ['with mentions', contentWith({ timerChange: change, text: '', mentions: [r(16)] })],
      ['garbage change', contentWith({ timerChange: r(20), text: '' })],
      [
        'a 3 s timer',
        contentWith({ timerChange: TimerChange.encode({ version: 1, seconds: 3, setAt: 1 }), text: '' }),
      ],
    ]
    for (const [what, bytes] of bad) assert.throws(() => decodeContent(bytes), DecodeError, what)
  })

  test('mentions and quotes are checked: lengths, duplicates, counts', () => {
    const twice = r(16)
    const bad: Array<[string, Uint8Array]> = [
      ['short mention', contentWith({ mentions: [r(15)] })],
      ['duplicate mention', contentWith({ mentions: [twice, twice] })],
      ['too many', contentWith({ mentions: Array.from({ length: MAX_GROUP_MENTIONS + 1 }, () => r(16)) })],
      ['reply without author', contentWith({ replyToId: r(16) })],
      ['long quote', contentWith({ replyToId: r(16), replyToAuthor: r(16), replyToText: 'q'.repeat(201) })],
      ['empty text', contentWith({ text: '' })],
    ]
    for (const [what, bytes] of bad) assert.throws(() => decodeContent(bytes), DecodeError, what)
  })

  test('the size cap holds before any parsing, and an edit longer than a group text cannot be sent', () => {
    assert.throws(() => decodeContent(new Uint8Array(MAX_GROUP_CONTENT_BYTES + 1)), DecodeError)
    const edit = {
      kind: ACTION_EDIT,
      targetId: r(16),
      targetAuthor: r(16),
      sentAt: 1,
      text: 'é'.repeat(MAX_GROUP_TEXT_BYTES / 2 + 600),
    } as const
    const bytes = encodeContent({
      messageId: r(16),
      text: '',
      sentAt: 1,
      groupId,
      epoch: 0,
      action: edit,
    })
    assert.throws(() => decodeContent(bytes), DecodeError)
  })
})

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
    ['content line', decodeContent, samples.line],
    ['content action', decodeContent, samples.action],
    ['content file', decodeContent, samples.file],
    ['content timer change', decodeContent, samples.timer],
  ]
  for (const [name, decode, sample] of decoders) {
    test(`${name}: random, truncated and mutated bytes give only typed errors`, () => {
      const result = fuzzDecoder(decode, { seed: name, runs: 300, samples: [sample] })
      assert.ok(result.rejected > 0)
    })
  }
})
