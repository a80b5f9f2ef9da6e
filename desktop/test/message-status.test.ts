import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Message } from '../../node/src/rpc/api.ts'
import { applyStatus, statusView } from '../src/logic/message-status.ts'

const base: Message = {
  id: 'a1',
  conversationId: 'dm:wuaaaaaaaaaaaaaaaaaaaaaaaaaa',
  seq: 1,
  direction: 'out',
  sender: 'wuaaaaaaaaaaaaaaaaaaaaaaaaaa',
  text: 'hi',
  sentAt: 1,
  receivedAt: null,
  status: 'queued',
  receipts: 0,
}

describe('delivery ticks', () => {
  test('each status maps to its tick and an accessible label', () => {
    assert.equal(statusView('queued', 0).kind, 'clock')
    assert.equal(statusView('sent', 0).kind, 'single')
    assert.equal(statusView('delivered', 0).kind, 'double')
    assert.equal(statusView('read', 0).kind, 'double-read')
    assert.equal(statusView('failed', 0).kind, 'error')
    assert.equal(statusView('read', 0).label, 'Read')
  })

  test('stored shows the mailbox receipt count, singular and plural', () => {
    assert.deepEqual(statusView('stored', 3), {
      kind: 'single',
      label: 'Stored in 3 mailboxes, waiting for the recipient',
      detail: '3',
    })
    assert.equal(statusView('stored', 1).label, 'Stored in 1 mailbox, waiting for the recipient')
    assert.equal(statusView('stored', 0).detail, '')
  })

  test('statuses only move forward; late events are ignored', () => {
    const read = applyStatus(base, 'read', 1)
    assert.equal(read.status, 'read')
    const late = applyStatus(read, 'delivered', 1)
    assert.equal(late, read, 'an older status returns the same object')
  })

  test('receipts only grow and a failed message may be retried', () => {
    const stored = applyStatus(base, 'stored', 2)
    assert.equal(applyStatus(stored, 'stored', 1).receipts, 2)
    assert.equal(applyStatus(stored, 'stored', 3).receipts, 3)
    const failed = applyStatus(base, 'failed', 0)
    assert.equal(applyStatus(failed, 'queued', 0).status, 'queued')
  })
})
