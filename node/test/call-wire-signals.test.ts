/**
 * Between the call machine and the wire (node/src/calls/wire-signals.ts), pure: what a peer's
 * signal does to a call in each phase, and that a reply's hang-up reason survives the wire.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  HANGUP_FAILED_ICE,
  SIGNAL_ACCEPT,
  SIGNAL_ANSWERED_ELSEWHERE,
  SIGNAL_BUSY,
  SIGNAL_HANGUP,
  SIGNAL_ICE,
  SIGNAL_OFFER,
  SIGNAL_RINGING,
} from '../../core/src/call/constants.ts'
import type { CallSignal } from '../../core/src/call/signal.ts'
import { type CallState, newIncomingCall, newOutgoingCall, step } from '../src/calls/call-machine.ts'
import { mediaSignalBody, replyOf, signalAction } from '../src/calls/wire-signals.ts'

const T0 = 1_000_000
const callId = new Uint8Array(16).fill(7)
const mediaKey = new Uint8Array(32).fill(9)
/** This side's media key of the call; `other` is another device's. */
const own = new Uint8Array(32).fill(3)
const other = new Uint8Array(32).fill(4)
const ringing = (): CallState => newOutgoingCall('c1', 'wubob', T0)
const incoming = (): CallState => newIncomingCall('c2', 'wualice', T0)
const connecting = (): CallState => step(ringing(), { type: 'remote-accept' }, T0 + 1).call
const acceptedHere = (): CallState => step(incoming(), { type: 'accept' }, T0 + 1).call
const signal = (s: Record<string, unknown>): CallSignal => ({ callId, sentAt: T0, ...s }) as CallSignal

describe('what a peer signal does to a call', () => {
  test('an accept binds only an outgoing call that still rings', () => {
    const accept = signal({ kind: SIGNAL_ACCEPT, mediaKey })
    assert.deepEqual(signalAction(ringing(), accept, own), { do: 'accepted', mediaKey })
    assert.deepEqual(signalAction(incoming(), accept, own), { do: 'nothing' })
    assert.deepEqual(signalAction(connecting(), accept, own), { do: 'nothing' })
  })

  test('ringing and busy step only outgoing calls', () => {
    assert.deepEqual(signalAction(ringing(), signal({ kind: SIGNAL_RINGING }), own), {
      do: 'step',
      input: { type: 'remote-ringing' },
    })
    assert.deepEqual(signalAction(incoming(), signal({ kind: SIGNAL_RINGING }), own), { do: 'nothing' })
    assert.deepEqual(signalAction(incoming(), signal({ kind: SIGNAL_BUSY }), own), { do: 'nothing' })
  })

  test('media while ringing here means another device of ours answered; after the accept it is passed on', () => {
    const ice = signal({ kind: SIGNAL_ICE, data: 'candidate:1' })
    assert.deepEqual(signalAction(incoming(), ice, own), {
      do: 'step',
      input: { type: 'answered-elsewhere' },
    })
    assert.deepEqual(signalAction(connecting(), ice, own), {
      do: 'media',
      signal: { kind: 'ice', data: 'candidate:1' },
    })
    assert.deepEqual(signalAction(ringing(), signal({ kind: SIGNAL_OFFER, data: 'v=0' }), own), {
      do: 'nothing',
    })
  })

  test('answered elsewhere stops a call that rings here, whichever device it names', () => {
    const stop = { do: 'step', input: { type: 'answered-elsewhere' } }
    for (const answeredKey of [null, other, own]) {
      const elsewhere = signal({ kind: SIGNAL_ANSWERED_ELSEWHERE, answeredKey })
      assert.deepEqual(signalAction(incoming(), elsewhere, own), stop)
    }
  })

  test('a call we accepted too ends when the caller names another device; the named device goes on', () => {
    const stop = { do: 'step', input: { type: 'answered-elsewhere' } }
    const naming = (answeredKey: Uint8Array | null) =>
      signal({ kind: SIGNAL_ANSWERED_ELSEWHERE, answeredKey })
    assert.deepEqual(signalAction(acceptedHere(), naming(other), own), stop)
    assert.deepEqual(signalAction(acceptedHere(), naming(own), own), { do: 'nothing' })
    // an older caller that names no device: we cannot tell, so we wait for the offer
    assert.deepEqual(signalAction(acceptedHere(), naming(null), own), { do: 'nothing' })
    // our own outgoing call is never answered elsewhere
    assert.deepEqual(signalAction(connecting(), naming(other), own), { do: 'nothing' })
  })

  test('a hang-up reason crosses the wire both ways; an unknown one reads as a hang-up', () => {
    const body = replyOf({ kind: 'hangup', reason: 'failed-ice' }, mediaKey)
    assert.deepEqual(body, { kind: SIGNAL_HANGUP, reason: HANGUP_FAILED_ICE })
    assert.deepEqual(signalAction(connecting(), signal(body), own), {
      do: 'step',
      input: { type: 'remote-hangup', reason: 'failed-ice' },
    })
    assert.deepEqual(signalAction(connecting(), signal({ kind: SIGNAL_HANGUP, reason: 250 }), own), {
      do: 'step',
      input: { type: 'remote-hangup', reason: 'hangup' },
    })
  })

  test('an accept reply carries our media key; a media signal keeps its text', () => {
    assert.deepEqual(replyOf({ kind: 'accept' }, mediaKey), { kind: SIGNAL_ACCEPT, mediaKey })
    assert.deepEqual(mediaSignalBody({ kind: 'offer', data: 'v=0' }), { kind: SIGNAL_OFFER, data: 'v=0' })
  })
})
