import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { fuzzDecoder } from '../../test/fixtures/fuzz.ts'
import { seededFloat, seededRandom, seededSuite } from '../../test/fixtures/seeded-random.ts'
import { toHex, utf8 } from '../src/bytes.ts'
import {
  DecodeError,
  DecryptError,
  DuplicateMessageError,
  InvalidSignatureError,
  InvalidStateError,
  TooManySkippedError,
} from '../src/errors.ts'
import { SenderKeyMessage } from '../src/proto/sender-key.ts'
import {
  createSenderKey,
  decodeSenderKeyDistribution,
  decodeSenderKeyState,
  encodeSenderKeyState,
  MAX_SENDER_KEY_FORWARD_JUMP,
  MAX_SENDER_KEY_PREVIOUS_CHAINS,
  MAX_SENDER_KEY_SKIPPED,
  peekSenderKeyMessage,
  processSenderKeyDistribution,
  rotateSenderKey,
  type SenderKeyState,
  senderKeyDecrypt,
  senderKeyDistribution,
  senderKeyEncrypt,
} from '../src/sender-key.ts'

const suite = seededSuite('sender-key')
const distributionId = suite.randomBytes(16)

function setup() {
  const sender = createSenderKey(suite, { distributionId })
  const receiver = processSenderKeyDistribution(suite, senderKeyDistribution(sender))
  return { sender, receiver }
}

/** Encrypt `count` messages and return them with the sender's final state. */
function sendMany(state: SenderKeyState, count: number, label = 'msg') {
  const messages: Uint8Array[] = []
  let s = state
  for (let i = 0; i < count; i++) {
    const r = senderKeyEncrypt(suite, s, utf8(`${label} ${i}`))
    s = r.state
    messages.push(r.message)
  }
  return { state: s, messages }
}

/** Walk the sender's chain forward without the cost of encrypting/signing each message. */
function advance(state: SenderKeyState, iterations: number): SenderKeyState {
  const decoded = decodeSenderKeyState(encodeSenderKeyState(state))
  const chain = decoded.chains[0]
  assert.ok(chain)
  let chainKey = chain.chainKey
  for (let i = 0; i < iterations; i++) chainKey = suite.hmacSha256(chainKey, Uint8Array.of(2))
  return { ...decoded, chains: [{ ...chain, iteration: chain.iteration + iterations, chainKey }] }
}

function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes)
}

describe('sender keys', () => {
  test('a member decrypts messages in order and the receiver copy holds no signing secret', () => {
    const { sender, receiver } = setup()
    assert.equal(receiver.chains[0]?.signingSecretKey, undefined)
    const { messages } = sendMany(sender, 5)
    let r = receiver
    for (const [i, m] of messages.entries()) {
      const out = senderKeyDecrypt(suite, r, m)
      assert.equal(text(out.plaintext), `msg ${i}`)
      r = out.state
    }
    assert.equal(r.chains[0]?.iteration, 5)
    assert.equal(r.chains[0]?.skipped.size, 0)
  })

  test('out-of-order messages within bounds decrypt once each, from a seeded shuffle', () => {
    const { sender, receiver } = setup()
    const { messages } = sendMany(sender, 40)
    const float = seededFloat('sender-key-shuffle')
    const order = messages.map((_, i) => i)
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(float() * (i + 1))
      ;[order[i], order[j]] = [order[j] as number, order[i] as number]
    }
    let r = receiver
    for (const i of order) {
      const out = senderKeyDecrypt(suite, r, messages[i] as Uint8Array)
      assert.equal(text(out.plaintext), `msg ${i}`)
      r = out.state
    }
    assert.equal(r.chains[0]?.skipped.size, 0, 'every skipped key was consumed')
    for (const m of messages) assert.throws(() => senderKeyDecrypt(suite, r, m), DuplicateMessageError)
  })

  test('a jump of exactly the forward bound decrypts; one more is TooManySkippedError', () => {
    const { sender, receiver } = setup()
    const far = senderKeyEncrypt(suite, advance(sender, MAX_SENDER_KEY_FORWARD_JUMP), utf8('far'))
    const out = senderKeyDecrypt(suite, receiver, far.message)
    assert.equal(text(out.plaintext), 'far')
    assert.equal(
      out.state.chains[0]?.skipped.size,
      MAX_SENDER_KEY_SKIPPED,
      'only the newest skipped keys are kept',
    )
    const tooFar = senderKeyEncrypt(suite, advance(sender, MAX_SENDER_KEY_FORWARD_JUMP + 1), utf8('too far'))
    assert.throws(() => senderKeyDecrypt(suite, receiver, tooFar.message), TooManySkippedError)
  })

  test('skipped keys beyond the store bound are evicted oldest first', () => {
    const { sender, receiver } = setup()
    const first = senderKeyEncrypt(suite, sender, utf8('oldest'))
    const second = senderKeyEncrypt(suite, first.state, utf8('kept'))
    const later = senderKeyEncrypt(suite, advance(sender, MAX_SENDER_KEY_SKIPPED + 1), utf8('later'))
    const r = senderKeyDecrypt(suite, receiver, later.message).state
    assert.equal(r.chains[0]?.skipped.size, MAX_SENDER_KEY_SKIPPED)
    assert.throws(() => senderKeyDecrypt(suite, r, first.message), DuplicateMessageError)
    assert.equal(text(senderKeyDecrypt(suite, r, second.message).plaintext), 'kept')
  })

  test('a replayed message is DuplicateMessageError', () => {
    const { sender, receiver } = setup()
    const { message } = senderKeyEncrypt(suite, sender, utf8('once'))
    const after = senderKeyDecrypt(suite, receiver, message).state
    assert.throws(() => senderKeyDecrypt(suite, after, message), DuplicateMessageError)
  })

  test('forged, re-signed and tampered messages are rejected and leave the state unchanged', () => {
    const { sender, receiver } = setup()
    const { message } = senderKeyEncrypt(suite, sender, utf8('genuine'))
    const before = toHex(encodeSenderKeyState(receiver))

    // a member holds the chain key and the public key only: it can build a ciphertext, not sign it
    const member = processSenderKeyDistribution(suite, senderKeyDistribution(sender))
    const impostorKey = suite.ed25519Generate()
    const asImpostor: SenderKeyState = {
      ...member,
      chains: [
        {
          ...(member.chains[0] as NonNullable<(typeof member.chains)[0]>),
          signingSecretKey: impostorKey.secretKey,
        },
      ],
    }
    const forged = senderKeyEncrypt(suite, asImpostor, utf8('forged')).message
    assert.throws(() => senderKeyDecrypt(suite, receiver, forged), InvalidSignatureError)

    const badSignature = message.slice()
    badSignature[badSignature.length - 1] = (badSignature[badSignature.length - 1] as number) ^ 1
    assert.throws(() => senderKeyDecrypt(suite, receiver, badSignature), InvalidSignatureError)

    const badCiphertext = message.slice()
    badCiphertext[badCiphertext.length - 70] = (badCiphertext[badCiphertext.length - 70] as number) ^ 1
    assert.throws(() => senderKeyDecrypt(suite, receiver, badCiphertext), InvalidSignatureError)

    // a receiver copy cannot encrypt at all
    assert.throws(() => senderKeyEncrypt(suite, member, utf8('x')), InvalidStateError)

    assert.equal(toHex(encodeSenderKeyState(receiver)), before, 'receiver state unchanged')
    assert.equal(text(senderKeyDecrypt(suite, receiver, message).plaintext), 'genuine')
  })

  test('a validly signed message whose ciphertext does not authenticate is DecryptError', () => {
    const { sender, receiver } = setup()
    const { message } = senderKeyEncrypt(suite, sender, utf8('genuine'))
    const body = SenderKeyMessage.decode(message.subarray(0, message.length - 64))
    const ciphertext = body.ciphertext.slice()
    ciphertext[0] = (ciphertext[0] as number) ^ 1
    const reBody = SenderKeyMessage.encode({ ...body, ciphertext })
    const signingSecret = sender.chains[0]?.signingSecretKey as Uint8Array
    const resigned = new Uint8Array([...reBody, ...suite.ed25519Sign(signingSecret, reBody)])
    assert.throws(() => senderKeyDecrypt(suite, receiver, resigned), DecryptError)
  })

  test('after rotation a member with only the old distribution cannot read the new chain', () => {
    const { sender, receiver: removed } = setup()
    const stays = processSenderKeyDistribution(suite, senderKeyDistribution(sender))
    const inFlight = senderKeyEncrypt(suite, sender, utf8('before rotation'))
    const rotated = rotateSenderKey(suite, inFlight.state)
    assert.notEqual(rotated.chains[0]?.chainId, sender.chains[0]?.chainId)
    assert.notDeepEqual(rotated.chains[0]?.signingPublicKey, sender.chains[0]?.signingPublicKey)
    assert.equal(rotated.chains.length, 1, 'old chain secrets are dropped from the sender state')
    const secret = senderKeyEncrypt(suite, rotated, utf8('after rotation'))
    assert.throws(() => senderKeyDecrypt(suite, removed, secret.message), InvalidStateError)

    // the member who stays gets the new distribution and still reads the in-flight message
    const updated = processSenderKeyDistribution(suite, senderKeyDistribution(rotated), stays)
    assert.equal(updated.chains.length, 2)
    assert.equal(text(senderKeyDecrypt(suite, updated, secret.message).plaintext), 'after rotation')
    assert.equal(text(senderKeyDecrypt(suite, updated, inFlight.message).plaintext), 'before rotation')
  })

  test('a receiver keeps a bounded number of previous chains and ignores a re-sent distribution', () => {
    let sender = createSenderKey(suite, { distributionId })
    let receiver = processSenderKeyDistribution(suite, senderKeyDistribution(sender))
    const firstDistribution = senderKeyDistribution(sender)
    const first = senderKeyEncrypt(suite, sender, utf8('first chain'))
    receiver = senderKeyDecrypt(suite, receiver, first.message).state
    // re-sending the old distribution must not rewind the chain (that would re-open replays)
    assert.equal(processSenderKeyDistribution(suite, firstDistribution, receiver), receiver)
    assert.throws(() => senderKeyDecrypt(suite, receiver, first.message), DuplicateMessageError)
    for (let i = 0; i < MAX_SENDER_KEY_PREVIOUS_CHAINS + 2; i++) {
      sender = rotateSenderKey(suite, sender)
      receiver = processSenderKeyDistribution(suite, senderKeyDistribution(sender), receiver)
    }
    assert.equal(receiver.chains.length, 1 + MAX_SENDER_KEY_PREVIOUS_CHAINS)
    const other = createSenderKey(suite, { distributionId: suite.randomBytes(16) })
    assert.throws(
      () => processSenderKeyDistribution(suite, senderKeyDistribution(other), receiver),
      InvalidStateError,
    )
    assert.throws(
      () => senderKeyDecrypt(suite, receiver, senderKeyEncrypt(suite, other, utf8('x')).message),
      InvalidStateError,
    )
  })

  test('encrypt and decrypt never change their input state', () => {
    const { sender, receiver } = setup()
    const senderBefore = toHex(encodeSenderKeyState(sender))
    const receiverBefore = toHex(encodeSenderKeyState(receiver))
    const { messages } = sendMany(sender, 3)
    const r1 = senderKeyDecrypt(suite, receiver, messages[2] as Uint8Array).state
    const r1Before = toHex(encodeSenderKeyState(r1))
    senderKeyDecrypt(suite, r1, messages[0] as Uint8Array)
    assert.equal(toHex(encodeSenderKeyState(sender)), senderBefore)
    assert.equal(toHex(encodeSenderKeyState(receiver)), receiverBefore)
    assert.equal(toHex(encodeSenderKeyState(r1)), r1Before)
    // the untouched receiver still reads everything
    assert.equal(text(senderKeyDecrypt(suite, receiver, messages[0] as Uint8Array).plaintext), 'msg 0')
  })

  test('sender and receiver states round-trip through the disk encoding', () => {
    const { sender, receiver } = setup()
    const { state: s2, messages } = sendMany(sender, 6)
    const r = senderKeyDecrypt(suite, receiver, messages[5] as Uint8Array).state
    assert.equal(r.chains[0]?.skipped.size, 5)
    for (const state of [s2, r]) {
      const decoded = decodeSenderKeyState(encodeSenderKeyState(state))
      assert.deepEqual(decoded, state)
    }
    const restored = decodeSenderKeyState(encodeSenderKeyState(r))
    assert.equal(text(senderKeyDecrypt(suite, restored, messages[3] as Uint8Array).plaintext), 'msg 3')
    const restoredSender = decodeSenderKeyState(encodeSenderKeyState(s2))
    const next = senderKeyEncrypt(suite, restoredSender, utf8('after restart'))
    assert.equal(text(senderKeyDecrypt(suite, r, next.message).plaintext), 'after restart')
  })

  test('peek reads the routing header of a message', () => {
    const { sender } = setup()
    const { message } = senderKeyEncrypt(suite, sender, utf8('x'))
    const header = peekSenderKeyMessage(message)
    assert.deepEqual(header.distributionId, distributionId)
    assert.equal(header.chainId, sender.chains[0]?.chainId)
    assert.equal(header.iteration, 0)
  })

  test('message, distribution and state decoders give only typed errors on hostile bytes', () => {
    const { sender, receiver } = setup()
    const { state: s2, messages } = sendMany(sender, 4)
    const r = senderKeyDecrypt(suite, receiver, messages[3] as Uint8Array).state
    fuzzDecoder((bytes) => senderKeyDecrypt(suite, receiver, bytes), {
      seed: 'sender-key-message',
      runs: 200,
      samples: [messages[0] as Uint8Array],
    })
    fuzzDecoder(peekSenderKeyMessage, { seed: 'sender-key-peek', samples: messages })
    fuzzDecoder(decodeSenderKeyDistribution, {
      seed: 'sender-key-distribution',
      maxLength: 300,
      samples: [senderKeyDistribution(sender)],
    })
    fuzzDecoder((bytes) => processSenderKeyDistribution(suite, bytes, r), {
      seed: 'sender-key-distribution-existing',
      runs: 100,
      samples: [senderKeyDistribution(s2)],
    })
    const result = fuzzDecoder(decodeSenderKeyState, {
      seed: 'sender-key-state',
      samples: [encodeSenderKeyState(s2), encodeSenderKeyState(r)],
    })
    assert.ok(result.rejected > 0)
    assert.throws(() => decodeSenderKeyState(new Uint8Array(400 * 1024)), DecodeError)
  })
})

describe('sender key wire bytes', () => {
  const vector = JSON.parse(readFileSync(new URL('./vectors/sender-key.json', import.meta.url), 'utf8')) as {
    seed: string
    plaintextSeed: string
    messages: { plaintext: string; message: string }[]
  }

  test('messages from a seeded sender key are byte-identical to the stored vector, and decrypt', () => {
    const s = seededSuite(vector.seed)
    let state = createSenderKey(s, { distributionId: s.randomBytes(16) })
    let receiver = processSenderKeyDistribution(s, senderKeyDistribution(state))
    const random = seededRandom(vector.plaintextSeed)
    for (const expected of vector.messages) {
      const plaintext = random(expected.plaintext.length / 2)
      assert.equal(toHex(plaintext), expected.plaintext)
      const sent = senderKeyEncrypt(s, state, plaintext)
      assert.equal(toHex(sent.message), expected.message)
      state = sent.state
      const got = senderKeyDecrypt(s, receiver, sent.message)
      assert.equal(toHex(got.plaintext), expected.plaintext)
      receiver = got.state
    }
  })
})
