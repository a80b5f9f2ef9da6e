/**
 * Seeded event model of a two-party session over a hostile network: random interleavings of
 * sends both ways, drops, reordering (late delivery), duplicates, tampering and reloads from the
 * disk format. The model predicts every outcome independently of the implementation.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { seededFloat } from '../../test/fixtures/seeded-random.ts'
import { toHex } from '../src/bytes.ts'
import { DecryptError, DuplicateMessageError, InvalidStateError } from '../src/errors.ts'
import {
  decodeRatchetMessage,
  decodeRatchetState,
  encodeRatchetState,
  MAX_RECEIVER_CHAINS,
  type RatchetState,
  ratchetDecrypt,
  ratchetEncrypt,
} from '../src/ratchet/index.ts'
import { flipBit, ratchetPair, rewriteMessage, text } from './ratchet-fixture.ts'

type Party = 'alice' | 'bob'

interface InFlight {
  id: number
  to: Party
  bytes: Uint8Array
  plaintext: Uint8Array
  ratchetKeyHex: string
}

interface Tally {
  sent: number
  delivered: number
  late: number
  forgotten: number
  dropped: number
  duplicates: number
  tampered: number
  reloads: number
  responderSendRefused: number
}

const EVENTS_PER_SEED = 500
const SEEDS = [1, 2, 3, 4, 5, 6]
const HELD_BACK_FRACTION = 0.05

function runModel(seed: number): Tally {
  const pair = ratchetPair(`model:${seed}`)
  const { suite } = pair
  const float = seededFloat(`model-events:${seed}`)
  const pick = <T>(items: T[]): T => items[Math.floor(float() * items.length)] as T
  const states: Record<Party, RatchetState> = { alice: pair.alice, bob: pair.bob }
  /** Peer ratchet keys each party has opened a receiving chain for, in order (the model's view). */
  const chains: Record<Party, string[]> = { alice: [], bob: [] }
  const pending: InFlight[] = []
  const delivered: InFlight[] = []
  const heldBack: InFlight[] = []
  const tally: Tally = {
    sent: 0,
    delivered: 0,
    late: 0,
    forgotten: 0,
    dropped: 0,
    duplicates: 0,
    tampered: 0,
    reloads: 0,
    responderSendRefused: 0,
  }
  let nextId = 0

  /** How many receiving chains the receiver has opened since the message's chain (0 = current or new). */
  const chainAge = (m: InFlight): number => {
    const seen = chains[m.to]
    const index = seen.lastIndexOf(m.ratchetKeyHex)
    return index === -1 ? 0 : seen.length - 1 - index
  }

  const expectFailure = (
    to: Party,
    bytes: Uint8Array,
    errorClass: new (...args: never[]) => Error,
    what: string,
  ) => {
    const held = states[to]
    const before = encodeRatchetState(held)
    assert.throws(() => ratchetDecrypt(suite, held, bytes), errorClass, `seed ${seed}: ${what}`)
    assert.deepEqual(encodeRatchetState(held), before, `seed ${seed}: state changed after failed ${what}`)
  }

  const deliver = (m: InFlight) => {
    if (chainAge(m) > MAX_RECEIVER_CHAINS) {
      // Delayed past MAX_RECEIVER_CHAINS ratchet steps: its keys are gone by design.
      expectFailure(m.to, m.bytes, DecryptError, `message ${m.id} from a forgotten chain`)
      tally.forgotten++
      return
    }
    const result = ratchetDecrypt(suite, states[m.to], m.bytes)
    assert.deepEqual(result.plaintext, m.plaintext, `seed ${seed}: message ${m.id} plaintext`)
    states[m.to] = result.state
    const seen = chains[m.to]
    if (seen.at(-1) !== m.ratchetKeyHex && !seen.includes(m.ratchetKeyHex)) seen.push(m.ratchetKeyHex)
    delivered.push(m)
    tally.delivered++
  }

  const send = (from: Party) => {
    const to: Party = from === 'alice' ? 'bob' : 'alice'
    const plaintext = text(`${from} #${nextId} seed ${seed}`)
    if (states[from].sendingChain === null) {
      assert.throws(() => ratchetEncrypt(suite, states[from], plaintext), InvalidStateError)
      tally.responderSendRefused++
      return
    }
    const { state, message } = ratchetEncrypt(suite, states[from], plaintext)
    states[from] = state
    const ratchetKeyHex = toHex(decodeRatchetMessage(message).ratchetKey)
    const m = { id: nextId++, to, bytes: message, plaintext, ratchetKeyHex }
    // A few messages are held back until the very end: many ratchet steps later.
    if (float() < HELD_BACK_FRACTION) heldBack.push(m)
    else pending.push(m)
    tally.sent++
  }

  const takePending = (): InFlight => {
    // Mostly near the front (mild reordering), sometimes anywhere (long delays).
    const span = float() < 0.8 ? Math.min(3, pending.length) : pending.length
    const index = Math.floor(float() * span)
    if (index > 0) tally.late++
    return pending.splice(index, 1)[0] as InFlight
  }

  const tamper = (m: InFlight) => {
    const decoded = decodeRatchetMessage(m.bytes)
    const kind = Math.floor(float() * 3)
    const bytes =
      kind === 0
        ? rewriteMessage(m.bytes, { ciphertext: flipBit(decoded.ciphertext, Math.floor(float() * 1e6)) })
        : kind === 1
          ? rewriteMessage(m.bytes, { ratchetKey: flipBit(decoded.ratchetKey, Math.floor(float() * 255)) })
          : rewriteMessage(m.bytes, { previousCounter: decoded.previousCounter + 1 })
    expectFailure(m.to, bytes, DecryptError, `tampered message ${m.id} (kind ${kind})`)
    tally.tampered++
  }

  for (let event = 0; event < EVENTS_PER_SEED; event++) {
    const r = float()
    if (r < 0.16) send('alice')
    else if (r < 0.32) send('bob')
    else if (r < 0.74) {
      if (pending.length > 0) deliver(takePending())
    } else if (r < 0.78) {
      if (pending.length > 0) {
        pending.splice(Math.floor(float() * pending.length), 1)
        tally.dropped++
      }
    } else if (r < 0.86) {
      if (delivered.length > 0) {
        const m = pick(delivered)
        const expected = chainAge(m) > MAX_RECEIVER_CHAINS ? DecryptError : DuplicateMessageError
        expectFailure(m.to, m.bytes, expected, `duplicate of message ${m.id}`)
        tally.duplicates++
      }
    } else if (r < 0.94) {
      if (pending.length > 0) tamper(pick(pending))
    } else {
      const who: Party = float() < 0.5 ? 'alice' : 'bob'
      const bytes = encodeRatchetState(states[who])
      states[who] = decodeRatchetState(bytes)
      assert.deepEqual(encodeRatchetState(states[who]), bytes)
      tally.reloads++
    }
  }
  while (pending.length > 0) deliver(takePending())
  for (const m of heldBack) {
    tally.late++
    deliver(m)
  }
  return tally
}

describe('ratchet event model', () => {
  for (const seed of SEEDS) {
    test(`seed ${seed}: every delivered untampered message decrypts exactly once; duplicates, tampering and forgotten chains fail without changing state`, () => {
      const tally = runModel(seed)
      assert.ok(tally.delivered > 20, `seed ${seed}: delivered ${tally.delivered}`)
      assert.ok(tally.late > 0, `seed ${seed}: no reordering exercised`)
      assert.ok(tally.duplicates > 0 && tally.tampered > 0, `seed ${seed}: failures not exercised`)
      assert.ok(tally.forgotten > 0, `seed ${seed}: no message outlived its chain`)
      assert.ok(tally.delivered > tally.forgotten * 4, `seed ${seed}: most messages must arrive`)
      assert.equal(tally.delivered + tally.forgotten + tally.dropped, tally.sent)
    })
  }
})
