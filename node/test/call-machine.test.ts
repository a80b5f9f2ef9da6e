/**
 * The per-call state machine (node/src/calls/call-machine.ts), pure: every path of the issue's
 * states, what each step tells the other side, what local inputs are refused, and that remote
 * stragglers change nothing.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  type CallInput,
  type CallState,
  durationOf,
  historyKind,
  isLive,
  newIncomingCall,
  newOutgoingCall,
  step,
} from '../src/calls/call-machine.ts'
import { CallStateError } from '../src/calls/errors.ts'
import { historyText } from '../src/calls/history-entry.ts'

const T0 = 1_000_000
const out = () => newOutgoingCall('c1', 'wubob', T0)
const inc = () => newIncomingCall('c2', 'wualice', T0)

/** Apply inputs in order at T0 + 1000·i; returns the final state and every reply sent. */
function run(call: CallState, inputs: CallInput[]) {
  const replies: unknown[] = []
  let state = call
  inputs.forEach((input, i) => {
    const s = step(state, input, T0 + 1000 * (i + 1))
    state = s.call
    if (s.reply !== null) replies.push(s.reply)
  })
  return { state, replies }
}

describe('call state machine', () => {
  test('outgoing: ringing → connecting (remote accept) → connected (media) → ended (hangup), one hangup sent', () => {
    const { state, replies } = run(out(), [
      { type: 'remote-ringing' },
      { type: 'remote-accept' },
      { type: 'media-connected' },
      { type: 'hangup' },
    ])
    assert.equal(state.phase, 'ended')
    assert.equal(state.endReason, 'hangup')
    assert.equal(state.remoteRinging, true)
    assert.equal(state.connectedAt, T0 + 3000)
    assert.equal(durationOf(state), 1000)
    assert.deepEqual(replies, [{ kind: 'hangup', reason: 'hangup' }])
    assert.equal(historyKind(state), 'outgoing')
    assert.equal(historyText(state), 'Outgoing call, 0:01')
    assert.equal(isLive(state), false)
  })

  test('incoming: accept sends accept; the remote hangup ends it as an answered incoming call', () => {
    const { state, replies } = run(inc(), [
      { type: 'accept' },
      { type: 'media-connected' },
      { type: 'remote-hangup', reason: 'hangup' },
    ])
    assert.deepEqual(replies, [{ kind: 'accept' }])
    assert.equal(state.endReason, 'hangup')
    assert.equal(historyKind(state), 'incoming')
  })

  test('incoming: decline (or hanging up while it rings) ends with declined and sends decline', () => {
    for (const input of [{ type: 'decline' }, { type: 'hangup' }] as const) {
      const { state, replies } = run(inc(), [input])
      assert.equal(state.endReason, 'declined')
      assert.deepEqual(replies, [{ kind: 'decline' }])
      assert.equal(historyKind(state), 'incoming')
    }
  })

  test('the caller sees declined and busy from the callee without answering them', () => {
    assert.equal(run(out(), [{ type: 'remote-decline' }]).state.endReason, 'declined')
    const busy = run(out(), [{ type: 'remote-busy' }])
    assert.equal(busy.state.endReason, 'busy')
    assert.deepEqual(busy.replies, [])
    assert.equal(historyText(busy.state), 'Outgoing call, busy')
  })

  test('ring timeout: the caller ends with timeout and tells the callee; the callee ends it as missed, silently', () => {
    const caller = run(out(), [{ type: 'ring-timeout' }])
    assert.equal(caller.state.endReason, 'timeout')
    assert.deepEqual(caller.replies, [{ kind: 'hangup', reason: 'timeout' }])
    const callee = run(inc(), [{ type: 'ring-timeout' }])
    assert.equal(callee.state.endReason, 'timeout')
    assert.deepEqual(callee.replies, [])
    assert.equal(historyKind(callee.state), 'missed')
    assert.equal(historyText(callee.state), 'Missed call')
  })

  test('a caller who hangs up while it rings leaves a missed call at the callee', () => {
    const { state } = run(inc(), [{ type: 'remote-hangup', reason: 'hangup' }])
    assert.equal(historyKind(state), 'missed')
  })

  test('answered on another of our devices: the ringing ends silently, an incoming call, not a missed one', () => {
    const { state, replies } = run(inc(), [{ type: 'answered-elsewhere' }])
    assert.equal(state.phase, 'ended')
    assert.equal(state.endReason, 'answered-elsewhere')
    assert.deepEqual(replies, [], 'nothing is sent to the caller')
    assert.equal(historyKind(state), 'incoming')
    assert.equal(historyText(state), 'Incoming call, answered on another device')
    // an outgoing call, or one connected here, is not affected
    const connected = run(inc(), [{ type: 'accept' }, { type: 'media-connected' }]).state
    for (const call of [connected, out(), run(out(), [{ type: 'remote-accept' }]).state])
      assert.equal(step(call, { type: 'answered-elsewhere' }, T0 + 5000).changed, false)
  })

  test('accepted here too, but the caller took another device: it ends answered elsewhere, silently', () => {
    const { state, replies } = run(inc(), [{ type: 'accept' }, { type: 'answered-elsewhere' }])
    assert.equal(state.phase, 'ended')
    assert.equal(state.endReason, 'answered-elsewhere')
    assert.deepEqual(replies, [{ kind: 'accept' }], 'only the accept went; the caller dropped it')
    assert.equal(historyKind(state), 'incoming')
    assert.equal(state.connectedAt, null)
  })

  test('connect timeout and media failures end an accepted call and tell the other side why', () => {
    const ice = run(out(), [{ type: 'remote-accept' }, { type: 'connect-timeout' }])
    assert.equal(ice.state.endReason, 'failed-ice')
    assert.deepEqual(ice.replies, [{ kind: 'hangup', reason: 'failed-ice' }])
    const decrypt = run(inc(), [
      { type: 'accept' },
      { type: 'media-connected' },
      { type: 'media-failed', reason: 'failed-decrypt' },
    ])
    assert.equal(decrypt.state.endReason, 'failed-decrypt')
    assert.deepEqual(decrypt.replies.at(-1), { kind: 'hangup', reason: 'failed-decrypt' })
    assert.equal(historyKind(decrypt.state), 'incoming')
  })

  test('local inputs that do not fit the phase are CallStateError', () => {
    assert.throws(() => step(out(), { type: 'accept' }, T0), CallStateError, 'accepting our own call')
    assert.throws(
      () => step(out(), { type: 'media-connected' }, T0),
      CallStateError,
      'connected while ringing',
    )
    assert.throws(() => step(inc(), { type: 'media-failed', reason: 'failed-ice' }, T0), CallStateError)
    const endedCall = run(out(), [{ type: 'hangup' }]).state
    assert.throws(() => step(endedCall, { type: 'accept' }, T0), CallStateError)
    assert.throws(() => step(endedCall, { type: 'decline' }, T0), CallStateError)
  })

  test('stragglers change nothing: remote signals out of phase, a second hangup, timers after the phase moved on', () => {
    const connecting = run(out(), [{ type: 'remote-accept' }]).state
    for (const input of [
      { type: 'remote-accept' },
      { type: 'remote-busy' },
      { type: 'remote-decline' },
      { type: 'remote-ringing' },
      { type: 'ring-timeout' },
    ] as const)
      assert.equal(step(connecting, input, T0).changed, false, input.type)
    const connected = step(connecting, { type: 'media-connected' }, T0 + 5).call
    assert.equal(step(connected, { type: 'media-connected' }, T0 + 9).changed, false)
    assert.equal(step(connected, { type: 'connect-timeout' }, T0 + 9).changed, false)
    const endedCall = step(connected, { type: 'hangup' }, T0 + 10).call
    const again = step(endedCall, { type: 'hangup' }, T0 + 20)
    assert.equal(again.changed, false)
    assert.equal(again.reply, null)
    assert.equal(
      step(endedCall, { type: 'remote-hangup', reason: 'timeout' }, T0 + 20).call.endReason,
      'hangup',
    )
  })
})
