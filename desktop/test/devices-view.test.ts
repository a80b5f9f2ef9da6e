/**
 * Settings › Devices as pure logic (desktop/src/logic/devices.ts): the rows of the device list,
 * the link code and confirmation checks, and the steps of a link from this device.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { DeviceList } from '../../node/src/rpc/api.ts'
import {
  confirmationDigits,
  deviceRows,
  type LinkStep,
  looksLikeLinkCode,
  nextLinkStep,
} from '../src/logic/devices.ts'

const list: DeviceList = {
  userId: 'wuaaaaaaaaaaaaaaaaaaaaaaaaaa',
  version: 3,
  devices: [
    { deviceId: 'c'.repeat(64), peerId: '12D3KooWc', createdAt: 30, current: false },
    { deviceId: 'b'.repeat(64), peerId: '12D3KooWb', createdAt: 20, current: true },
    { deviceId: 'a'.repeat(64), peerId: '12D3KooWa', createdAt: 10, current: false },
  ],
  revoked: ['d'.repeat(64)],
}

describe('the Devices section', () => {
  test('this device first and not revocable, then the others oldest first, by a 16-digit prefix', () => {
    const rows = deviceRows(list)
    assert.deepEqual(
      rows.map((r) => [r.label, r.revocable]),
      [
        ['This device', false],
        [`Device ${'a'.repeat(16)}…`, true],
        [`Device ${'c'.repeat(16)}…`, true],
      ],
    )
  })

  test('a link code starts with wren-link:, a confirmation is six digits (spaces and dashes dropped)', () => {
    assert.equal(looksLikeLinkCode('  wren-link:AbC'), true)
    assert.equal(looksLikeLinkCode('wren:card'), false)
    assert.equal(confirmationDigits('123 456'), '123456')
    assert.equal(confirmationDigits('123-456'), '123456')
    assert.equal(confirmationDigits('12345'), null)
    assert.equal(confirmationDigits('12345a'), null)
  })

  test('a link goes idle → dialing → compare → sending → linked; errors only end a step in flight', () => {
    let step: LinkStep = { kind: 'idle' }
    // nothing to confirm before the number is shown
    assert.deepEqual(nextLinkStep(step, { kind: 'confirm' }), step)
    step = nextLinkStep(step, { kind: 'dial' })
    assert.equal(step.kind, 'dialing')
    step = nextLinkStep(step, { kind: 'dialed', confirmation: '042917' })
    assert.deepEqual(step, { kind: 'compare', confirmation: '042917' })
    // an error while comparing (no call in flight) changes nothing
    assert.deepEqual(nextLinkStep(step, { kind: 'error', error: 'x' }), step)
    step = nextLinkStep(step, { kind: 'confirm' })
    assert.deepEqual(step, { kind: 'sending', confirmation: '042917' })
    step = nextLinkStep(step, { kind: 'confirmed', deviceId: 'e'.repeat(64) })
    assert.deepEqual(step, { kind: 'linked', deviceId: 'e'.repeat(64) })
    // another link may start after one ended
    assert.equal(nextLinkStep(step, { kind: 'dial' }).kind, 'dialing')
    const failed = nextLinkStep({ kind: 'sending', confirmation: '1' }, { kind: 'error', error: 'mismatch' })
    assert.deepEqual(failed, { kind: 'failed', error: 'mismatch' })
    assert.deepEqual(nextLinkStep(failed, { kind: 'reset' }), { kind: 'idle' })
  })
})
