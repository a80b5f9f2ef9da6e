/**
 * Forward secrecy (a used message key is gone from the state) and post-compromise security
 * (a stolen state stops decrypting once both parties have ratcheted with fresh keys).
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { seededSuite } from '../../test/fixtures/seeded-random.ts'
import { DecryptError, DuplicateMessageError } from '../src/errors.ts'
import {
  decodeRatchetState,
  encodeRatchetState,
  type RatchetState,
  ratchetDecrypt,
  ratchetEncrypt,
} from '../src/ratchet/index.ts'
import { chainMessageKey, messageAeadKey } from '../src/ratchet/kdf.ts'
import { containsBytes, ratchetPair, text } from './ratchet-fixture.ts'

describe('ratchet forward secrecy', () => {
  test('after decrypting, neither the message key, its AES key nor the chain key it came from occurs in the saved state, and a snapshot taken after cannot decrypt the message again', () => {
    const { suite, alice, bob } = ratchetPair('forward-secrecy')
    const m0 = ratchetEncrypt(suite, alice, text('zero'))
    const m1 = ratchetEncrypt(suite, m0.state, text('one'))
    const m2 = ratchetEncrypt(suite, m1.state, text('two'))

    // m0 opens Bob's chain (a ratchet step); its chain key is known only after that step.
    let b = ratchetDecrypt(suite, bob, m0.message).state
    // m2 first: m1's key becomes a skipped key, m2's key is derived and used at once.
    const chainKeyBefore = (b.receivingChain as NonNullable<RatchetState['receivingChain']>).chainKey
    const skippedKey1 = chainMessageKey(suite, chainKeyBefore)
    const afterM2 = ratchetDecrypt(suite, b, m2.message)
    assert.deepEqual(afterM2.plaintext, text('two'))
    b = afterM2.state
    const stored = (b.receivingChain as NonNullable<RatchetState['receivingChain']>).skipped.get(1)
    assert.deepEqual(stored, skippedKey1, 'the skipped key for m1 is kept until m1 arrives')

    const afterM1 = ratchetDecrypt(suite, b, m1.message)
    assert.deepEqual(afterM1.plaintext, text('one'))
    const saved = encodeRatchetState(afterM1.state)
    assert.ok(!containsBytes(saved, skippedKey1), 'used skipped key still in state')
    assert.ok(!containsBytes(saved, messageAeadKey(suite, skippedKey1).key), 'AES key in state')
    assert.ok(!containsBytes(saved, chainKeyBefore), 'an old chain key is still in state')

    const snapshot = decodeRatchetState(saved)
    for (const m of [m0, m1, m2]) {
      assert.throws(() => ratchetDecrypt(suite, snapshot, m.message), DuplicateMessageError)
    }
  })

  test('the message key of an in-order message is not in the state saved after it', () => {
    const { suite, alice, bob } = ratchetPair('forward-secrecy-in-order')
    const m0 = ratchetEncrypt(suite, alice, text('zero'))
    const m1 = ratchetEncrypt(suite, m0.state, text('one'))
    const b = ratchetDecrypt(suite, bob, m0.message).state
    const chainKey = (b.receivingChain as NonNullable<RatchetState['receivingChain']>).chainKey
    const messageKey = chainMessageKey(suite, chainKey)
    const after = ratchetDecrypt(suite, b, m1.message).state
    const saved = encodeRatchetState(after)
    assert.ok(!containsBytes(saved, messageKey))
    assert.ok(!containsBytes(saved, chainKey))
    assert.throws(() => ratchetDecrypt(suite, decodeRatchetState(saved), m1.message), DuplicateMessageError)
  })
})

describe('ratchet post-compromise security', () => {
  test("a stolen snapshot of Bob's state reads Alice's next message, but once Alice and Bob have each sent (both ratcheted) it decrypts nothing more — even a copy that followed along", () => {
    const { suite, alice, bob } = ratchetPair('post-compromise')
    let a = alice
    let b = bob
    // A few exchanges, so the compromise is of a running session.
    for (let i = 0; i < 3; i++) {
      const toBob = ratchetEncrypt(suite, a, text(`warm-up a ${i}`))
      a = toBob.state
      b = ratchetDecrypt(suite, b, toBob.message).state
      const toAlice = ratchetEncrypt(suite, b, text(`warm-up b ${i}`))
      b = toAlice.state
      a = ratchetDecrypt(suite, a, toAlice.message).state
    }
    // The attacker copies Bob's saved state but not Bob's random source.
    const attackerSuite = seededSuite('attacker')
    const snapshot = decodeRatchetState(encodeRatchetState(b))

    // Before healing: Alice's message in her current chain is readable with the stolen state.
    const exposed = ratchetEncrypt(suite, a, text('exposed'))
    a = exposed.state
    b = ratchetDecrypt(suite, b, exposed.message).state
    const stolen = ratchetDecrypt(attackerSuite, snapshot, exposed.message)
    assert.deepEqual(stolen.plaintext, text('exposed'))
    const attacker = stolen.state

    // Bob replies from the ratchet key pair he generated on receiving that message — a key pair
    // the snapshot lacks (and the attacker's own copy generated a different one) — and Alice
    // ratchets onto it.
    const reply = ratchetEncrypt(suite, b, text('reply'))
    b = reply.state
    a = ratchetDecrypt(suite, a, reply.message).state

    // Healed: every later message to Bob is unreadable with the snapshot or the followed copy.
    for (let i = 0; i < 3; i++) {
      const later = ratchetEncrypt(suite, a, text(`healed ${i}`))
      a = later.state
      const open = ratchetDecrypt(suite, b, later.message)
      assert.deepEqual(open.plaintext, text(`healed ${i}`))
      b = open.state
      for (const stolenState of [snapshot, attacker]) {
        assert.throws(() => ratchetDecrypt(attackerSuite, stolenState, later.message), DecryptError)
      }
    }
  })
})
