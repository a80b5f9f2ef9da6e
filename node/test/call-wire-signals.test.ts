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
const ringing = (): CallState => newOutgoingCall('c1', 'wubob', T0)
const incoming = (): CallState => newIncomingCall('c2', 'wualice', T0)
const connecting = (): CallState => step(ringing(), { type: 'remote-accept' }, T0 + 1).call
const signal = (s: Record<string, unknown>): CallSignal => ({ callId, sentAt: T0, ...s }) as CallSignal

describe('what a peer signal does to a call', () => {
  test('an accept binds only an outgoing call that still rings', () => {
    const accept = signal({ kind: SIGNAL_ACCEPT, mediaKey })
    assert.deepEqual(signalAction(ringing(), accept), { do: 'accepted', mediaKey })
    assert.deepEqual(signalAction(incoming(), accept), { do: 'nothing' })
    assert.deepEqual(signalAction(connecting(), accept), { do: 'nothing' })
  })

  test('ringing and busy step only outgoing calls', () => {
    assert.deepEqual(signalAction(ringing(), signal({ kind: SIGNAL_RINGING })), {
      do: 'step',
      input: { type: 'remote-ringing' },
    })
    assert.deepEqual(signalAction(incoming(), signal({ kind: SIGNAL_RINGING })), { do: 'nothing' })
    assert.deepEqual(signalAction(incoming(), signal({ kind: SIGNAL_BUSY })), { do: 'nothing' })
  })

  test('media while ringing here means another device of ours answered; after the accept it is passed on', () => {
    const ice = signal({ kind: SIGNAL_ICE, data: 'candidate:1' })
    assert.deepEqual(signalAction(incoming(), ice), { do: 'step', input: { type: 'answered-elsewhere' } })
    assert.deepEqual(signalAction(connecting(), ice), {
      do: 'media',
      signal: { kind: 'ice', data: 'candidate:1' },
    })
    assert.deepEqual(signalAction(ringing(), signal({ kind: SIGNAL_OFFER, data: 'v=0' })), { do: 'nothing' })
  })

  test('answered elsewhere stops only a call that rings here', () => {
    const elsewhere = signal({ kind: SIGNAL_ANSWERED_ELSEWHERE })
    assert.deepEqual(signalAction(incoming(), elsewhere), {
      do: 'step',
      input: { type: 'answered-elsewhere' },
    })
    assert.deepEqual(signalAction(connecting(), elsewhere), { do: 'nothing' })
  })

  test('a hang-up reason crosses the wire both ways; an unknown one reads as a hang-up', () => {
    const body = replyOf({ kind: 'hangup', reason: 'failed-ice' }, mediaKey)
    assert.deepEqual(body, { kind: SIGNAL_HANGUP, reason: HANGUP_FAILED_ICE })
    assert.deepEqual(signalAction(connecting(), signal(body)), {
      do: 'step',
      input: { type: 'remote-hangup', reason: 'failed-ice' },
    })
    assert.deepEqual(signalAction(connecting(), signal({ kind: SIGNAL_HANGUP, reason: 250 })), {
      do: 'step',
      input: { type: 'remote-hangup', reason: 'hangup' },
    })
  })

  test('an accept reply carries our media key; a media signal keeps its text', () => {
    assert.deepEqual(replyOf({ kind: 'accept' }, mediaKey), { kind: SIGNAL_ACCEPT, mediaKey })
    assert.deepEqual(mediaSignalBody({ kind: 'offer', data: 'v=0' }), { kind: SIGNAL_OFFER, data: 'v=0' })
  })
})
