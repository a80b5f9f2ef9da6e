/**
 * Bounds on skipped message keys: per-chain jump limit (TooManySkippedError, state unchanged),
 * per-chain and total storage caps evicting the oldest keys, and the number of old chains kept.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { CryptoSuite } from '../src/crypto/suite.ts'
import { DecryptError, DuplicateMessageError, TooManySkippedError } from '../src/errors.ts'
import {
  encodeRatchetState,
  MAX_RECEIVER_CHAINS,
  MAX_SKIP_PER_CHAIN,
  MAX_SKIPPED_KEYS_TOTAL,
  type RatchetState,
  ratchetDecrypt,
  ratchetEncrypt,
} from '../src/ratchet/index.ts'
import { countSkippedKeys } from '../src/ratchet/state.ts'
import { ratchetPair, text } from './ratchet-fixture.ts'

/** Encrypt `count` messages in a row; returns the new state and the messages in order. */
function sendMany(suite: CryptoSuite, state: RatchetState, count: number, label: string) {
  const messages: Uint8Array[] = []
  let current = state
  for (let i = 0; i < count; i++) {
    const out = ratchetEncrypt(suite, current, text(`${label} ${i}`))
    current = out.state
    messages.push(out.message)
  }
  return { state: current, messages }
}

function assertRefusedUnchanged(
  suite: CryptoSuite,
  state: RatchetState,
  message: Uint8Array,
  errorClass: new (...args: never[]) => Error,
) {
  const before = encodeRatchetState(state)
  assert.throws(() => ratchetDecrypt(suite, state, message), errorClass)
  assert.deepEqual(encodeRatchetState(state), before)
}

describe('ratchet skipped keys', () => {
  test('a message MAX_SKIP_PER_CHAIN + 1 ahead in the current chain is refused with TooManySkippedError and no state change; exactly MAX_SKIP_PER_CHAIN ahead decrypts', () => {
    const { suite, alice, bob } = ratchetPair('over-skip')
    const sent = sendMany(suite, alice, MAX_SKIP_PER_CHAIN + 3, 'a')
    const first = ratchetDecrypt(suite, bob, sent.messages[0] as Uint8Array)
    // Bob expects message 1 next: message MAX+2 needs MAX+1 skipped keys.
    assertRefusedUnchanged(
      suite,
      first.state,
      sent.messages[MAX_SKIP_PER_CHAIN + 2] as Uint8Array,
      TooManySkippedError,
    )
    const atBound = ratchetDecrypt(suite, first.state, sent.messages[MAX_SKIP_PER_CHAIN + 1] as Uint8Array)
    assert.deepEqual(atBound.plaintext, text(`a ${MAX_SKIP_PER_CHAIN + 1}`))
    assert.equal(countSkippedKeys(atBound.state), MAX_SKIP_PER_CHAIN)
    // The skipped messages still decrypt afterwards.
    const late = ratchetDecrypt(suite, atBound.state, sent.messages[1] as Uint8Array)
    assert.deepEqual(late.plaintext, text('a 1'))
  })

  test('the first message of a new chain more than MAX_SKIP_PER_CHAIN ahead is refused before any DH or key derivation changes state', () => {
    const { suite, alice, bob } = ratchetPair('over-skip-new-chain')
    const sent = sendMany(suite, alice, MAX_SKIP_PER_CHAIN + 2, 'a')
    assertRefusedUnchanged(
      suite,
      bob,
      sent.messages[MAX_SKIP_PER_CHAIN + 1] as Uint8Array,
      TooManySkippedError,
    )
    const ok = ratchetDecrypt(suite, bob, sent.messages[MAX_SKIP_PER_CHAIN] as Uint8Array)
    assert.equal(countSkippedKeys(ok.state), MAX_SKIP_PER_CHAIN)
  })

  test('a ratchet step whose previous-chain length pn is more than MAX_SKIP_PER_CHAIN ahead is refused with no state change', () => {
    const { suite, alice, bob } = ratchetPair('over-skip-pn')
    const sent = sendMany(suite, alice, MAX_SKIP_PER_CHAIN + 2, 'a')
    let b = ratchetDecrypt(suite, bob, sent.messages[0] as Uint8Array).state
    const reply = ratchetEncrypt(suite, b, text('b 0'))
    b = reply.state
    const a = ratchetDecrypt(suite, sent.state, reply.message).state
    // Alice's new chain says pn = MAX+2 while Bob's chain index is 1: MAX+1 keys to skip.
    const next = ratchetEncrypt(suite, a, text('a new chain'))
    assertRefusedUnchanged(suite, b, next.message, TooManySkippedError)
  })

  test('repeated jumps in one chain keep at most MAX_SKIP_PER_CHAIN keys there, evicting the lowest message numbers first', () => {
    const { suite, alice, bob } = ratchetPair('per-chain-cap')
    const extra = 500
    const sent = sendMany(suite, alice, 2 * MAX_SKIP_PER_CHAIN + 2, 'a')
    let b = ratchetDecrypt(suite, bob, sent.messages[MAX_SKIP_PER_CHAIN] as Uint8Array).state
    b = ratchetDecrypt(suite, b, sent.messages[MAX_SKIP_PER_CHAIN + extra + 1] as Uint8Array).state
    assert.equal(countSkippedKeys(b), MAX_SKIP_PER_CHAIN)
    // Keys 0..extra-1 were the oldest: evicted, so those messages now count as already received.
    assertRefusedUnchanged(suite, b, sent.messages[extra - 1] as Uint8Array, DuplicateMessageError)
    assert.deepEqual(
      ratchetDecrypt(suite, b, sent.messages[extra] as Uint8Array).plaintext,
      text(`a ${extra}`),
    )
  })

  test(`more than MAX_SKIPPED_KEYS_TOTAL skipped keys across chains evicts the oldest chain's oldest keys first`, () => {
    const { suite, alice, bob } = ratchetPair('total-cap')
    let a = alice
    let b = bob
    const chains: Uint8Array[][] = []
    const rounds = Math.ceil(MAX_SKIPPED_KEYS_TOTAL / MAX_SKIP_PER_CHAIN)
    for (let round = 0; round <= rounds - 1; round++) {
      const sent = sendMany(suite, a, MAX_SKIP_PER_CHAIN + 1, `chain ${round}`)
      chains.push(sent.messages)
      // Deliver only the last message of the chain: MAX_SKIP_PER_CHAIN keys skipped.
      b = ratchetDecrypt(suite, b, sent.messages[MAX_SKIP_PER_CHAIN] as Uint8Array).state
      const reply = ratchetEncrypt(suite, b, text(`reply ${round}`))
      b = reply.state
      a = ratchetDecrypt(suite, sent.state, reply.message).state
    }
    const total = rounds * MAX_SKIP_PER_CHAIN
    const evicted = total - MAX_SKIPPED_KEYS_TOTAL
    assert.ok(evicted > 0, 'the scenario must overflow the total bound')
    assert.equal(countSkippedKeys(b), MAX_SKIPPED_KEYS_TOTAL)
    const oldest = chains[0] as Uint8Array[]
    assertRefusedUnchanged(suite, b, oldest[evicted - 1] as Uint8Array, DuplicateMessageError)
    assert.deepEqual(
      ratchetDecrypt(suite, b, oldest[evicted] as Uint8Array).plaintext,
      text(`chain 0 ${evicted}`),
    )
    const newest = chains.at(-1) as Uint8Array[]
    assert.deepEqual(
      ratchetDecrypt(suite, b, newest[0] as Uint8Array).plaintext,
      text(`chain ${rounds - 1} 0`),
    )
  })

  test(`a message from a chain MAX_RECEIVER_CHAINS ratchet steps old still decrypts; one step older is forgotten (DecryptError, no state change)`, () => {
    const { suite, alice, bob } = ratchetPair('receiver-chains')
    let a = alice
    let b = bob
    const heldBack: Uint8Array[] = []
    for (let round = 0; round <= MAX_RECEIVER_CHAINS + 1; round++) {
      const late = ratchetEncrypt(suite, a, text(`late ${round}`))
      const now = ratchetEncrypt(suite, late.state, text(`now ${round}`))
      heldBack.push(late.message)
      b = ratchetDecrypt(suite, b, now.message).state
      const reply = ratchetEncrypt(suite, b, text(`reply ${round}`))
      b = reply.state
      a = ratchetDecrypt(suite, now.state, reply.message).state
    }
    // Bob has opened MAX_RECEIVER_CHAINS + 2 chains; the current one is the last.
    const forgotten = heldBack[0] as Uint8Array
    const oldestKept = heldBack[1] as Uint8Array
    assertRefusedUnchanged(suite, b, forgotten, DecryptError)
    assert.deepEqual(ratchetDecrypt(suite, b, oldestKept).plaintext, text('late 1'))
    assert.equal(b.previousChains.length, MAX_RECEIVER_CHAINS)
  })
})
