/**
 * The ratchet's two decoders of untrusted bytes — the wire message and the saved state — under
 * fuzzing, size caps and version checks; and the saved state's exact round trip.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { fuzzDecoder } from '../../test/fixtures/fuzz.ts'
import { DecodeError, UnsupportedVersionError, WrenCoreError } from '../src/errors.ts'
import { RatchetMessage, RatchetStateRecord } from '../src/proto/ratchet.ts'
import {
  decodeRatchetMessage,
  decodeRatchetState,
  encodeRatchetState,
  MAX_RATCHET_MESSAGE_BYTES,
  MAX_RATCHET_STATE_BYTES,
  RATCHET_STATE_VERSION,
  type RatchetState,
  ratchetDecrypt,
  ratchetEncrypt,
} from '../src/ratchet/index.ts'
import { ratchetPair, rewriteMessage, text } from './ratchet-fixture.ts'

/** A session with traffic both ways and skipped keys in the current and an old chain. */
function busySession() {
  const { suite, alice, bob } = ratchetPair('codec')
  let a = alice
  let b = bob
  const messages: Uint8Array[] = []
  for (let round = 0; round < 3; round++) {
    const burst: Uint8Array[] = []
    for (let i = 0; i < 4; i++) {
      const out = ratchetEncrypt(suite, a, text(`a ${round} ${i}`))
      a = out.state
      burst.push(out.message)
    }
    messages.push(...burst)
    b = ratchetDecrypt(suite, b, burst[3] as Uint8Array).state // 0..2 skipped
    const reply = ratchetEncrypt(suite, b, text(`b ${round}`))
    b = reply.state
    messages.push(reply.message)
    a = ratchetDecrypt(suite, a, reply.message).state
  }
  return { suite, alice: a, bob: b, messages }
}

describe('ratchet codecs', () => {
  test('a saved state decodes to a state that encodes to the same bytes and keeps working', () => {
    const { suite, alice, bob } = busySession()
    for (const state of [alice, bob]) {
      const bytes = encodeRatchetState(state)
      assert.deepEqual(encodeRatchetState(decodeRatchetState(bytes)), bytes)
    }
    assert.ok((bob.previousChains[0]?.skipped.size ?? 0) > 0, 'the sample has skipped keys in an old chain')
    const reloaded: RatchetState = decodeRatchetState(encodeRatchetState(bob))
    const out = ratchetEncrypt(suite, alice, text('after reload'))
    assert.deepEqual(ratchetDecrypt(suite, reloaded, out.message).plaintext, text('after reload'))
  })

  test('a fresh responder state (no chains yet) round-trips', () => {
    const { bob } = ratchetPair('codec-fresh')
    const bytes = encodeRatchetState(bob)
    const back = decodeRatchetState(bytes)
    assert.equal(back.sendingChain, null)
    assert.equal(back.receivingChain, null)
    assert.deepEqual(encodeRatchetState(back), bytes)
  })

  test('state decoder: random, truncated and bit-flipped bytes give only typed errors', () => {
    const { alice, bob } = busySession()
    const result = fuzzDecoder(decodeRatchetState, {
      seed: 'ratchet-state',
      runs: 400,
      samples: [encodeRatchetState(alice), encodeRatchetState(bob)],
    })
    assert.ok(result.rejected > 0)
  })

  test('wire decoder and ratchetDecrypt: random, truncated and bit-flipped messages give only typed errors', () => {
    const { suite, bob, messages } = busySession()
    const samples = messages.slice(0, 6)
    const result = fuzzDecoder(decodeRatchetMessage, { seed: 'ratchet-message', runs: 400, samples })
    assert.ok(result.rejected > 0)
    const before = encodeRatchetState(bob)
    fuzzDecoder((bytes) => ratchetDecrypt(suite, bob, bytes), { seed: 'ratchet-decrypt', runs: 200, samples })
    assert.deepEqual(encodeRatchetState(bob), before, 'fuzzing decrypt changed the state')
  })

  test('oversized inputs are rejected with DecodeError before parsing', () => {
    const { bob } = ratchetPair('codec-caps')
    assert.throws(() => decodeRatchetMessage(new Uint8Array(MAX_RATCHET_MESSAGE_BYTES + 1)), DecodeError)
    assert.throws(() => decodeRatchetState(new Uint8Array(MAX_RATCHET_STATE_BYTES + 1)), DecodeError)
    assert.throws(() => decodeRatchetState('not bytes' as unknown as Uint8Array), DecodeError)
    assert.ok(encodeRatchetState(bob).length < MAX_RATCHET_STATE_BYTES)
  })

  test('unknown wire and state versions are rejected with UnsupportedVersionError', () => {
    const { suite, alice, bob } = ratchetPair('codec-versions')
    const { message } = ratchetEncrypt(suite, alice, text('v'))
    const future = rewriteMessage(message, { version: 2 })
    assert.throws(() => decodeRatchetMessage(future), UnsupportedVersionError)
    assert.throws(() => ratchetDecrypt(suite, bob, future), UnsupportedVersionError)
    const record = RatchetStateRecord.decode(encodeRatchetState(bob))
    const futureState = RatchetStateRecord.encode({ ...record, version: RATCHET_STATE_VERSION + 1 })
    assert.throws(() => decodeRatchetState(futureState), UnsupportedVersionError)
  })

  test('wrong field lengths in a wire message are DecodeErrors', () => {
    const { suite, alice } = ratchetPair('codec-fields')
    const { message } = ratchetEncrypt(suite, alice, text('f'))
    const decoded = RatchetMessage.decode(message)
    assert.throws(
      () => decodeRatchetMessage(rewriteMessage(message, { ratchetKey: decoded.ratchetKey.slice(1) })),
      DecodeError,
    )
    assert.throws(
      () => decodeRatchetMessage(rewriteMessage(message, { ciphertext: new Uint8Array(15) })),
      DecodeError,
    )
  })

  test('a state whose skipped keys are out of order or beyond the chain is a DecodeError', () => {
    const { bob } = busySession()
    const record = RatchetStateRecord.decode(encodeRatchetState(bob))
    const chain = record.previous[0]
    assert.ok(chain !== undefined && chain.skipped.length >= 72)
    const swapped = chain.skipped.slice()
    swapped.set(chain.skipped.subarray(0, 36), 36)
    swapped.set(chain.skipped.subarray(36, 72), 0)
    const bad = { ...record, previous: [{ ...chain, skipped: swapped }, ...record.previous.slice(1)] }
    assert.throws(() => decodeRatchetState(RatchetStateRecord.encode(bad)), DecodeError)
    const short = { ...record, previous: [{ ...chain, index: 0 }, ...record.previous.slice(1)] }
    assert.throws(() => decodeRatchetState(RatchetStateRecord.encode(short)), DecodeError)
    try {
      decodeRatchetState(RatchetStateRecord.encode({ ...record, rootKey: new Uint8Array(31) }))
      assert.fail('accepted a 31-byte root key')
    } catch (err) {
      assert.ok(err instanceof WrenCoreError && err.name === 'DecodeError')
    }
  })
})
