import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Message } from '../../node/src/rpc/api.ts'
import { applyStatus, statusView } from '../src/logic/message-status.ts'
import { applyWaiting, conversationWaiting, waitingWords } from '../src/logic/waiting.ts'

const base: Message = {
  id: 'a1',
  conversationId: 'dm:wuaaaaaaaaaaaaaaaaaaaaaaaaaa',
  seq: 1,
  direction: 'out',
  sender: 'wubbbbbbbbbbbbbbbbbbbbbbbbbb',
  text: 'hello',
  sentAt: 1_000,
  receivedAt: null,
  status: 'queued',
  receipts: 0,
}

describe('why a message waits, in the desktop', () => {
  test('the tick tooltip and the header name the reason and the next try', () => {
    const why = waitingWords({ reason: 'no-route', nextAttemptAt: 13_000 }, 'Bob', 1_000)
    assert.equal(why, 'no route to Bob yet, next try in 12 s')
    assert.equal(
      statusView('queued', 0, why).label,
      'Queued, waiting to send — no route to Bob yet, next try in 12 s',
    )
    assert.equal(statusView('queued', 0).label, 'Queued, waiting to send')
  })

  test('a conversation.waiting event reaches the messages still in the outbox, and null clears it', () => {
    const stored = {
      ...base,
      id: 'a0',
      seq: 0,
      status: 'stored' as const,
      waiting: { reason: 'stored' as const },
    }
    const messages = [stored, base]
    const waiting = { reason: 'peer-offline' as const, nextAttemptAt: 5_000 }
    const applied = applyWaiting(messages, waiting)
    assert.deepEqual(applied[1]?.waiting, waiting)
    assert.equal(applied[0], stored, 'a stored message keeps its own reason')
    assert.deepEqual(conversationWaiting(applied), waiting)
    const cleared = applyWaiting(applied, null)
    assert.equal(cleared[1]?.waiting, undefined)
    assert.equal(conversationWaiting(cleared), null)
  })

  test('delivery drops the reason; stored says stored', () => {
    const waiting = { ...base, waiting: { reason: 'peer-offline' as const } }
    assert.equal(applyStatus(waiting, 'delivered', 0).waiting, undefined)
    assert.deepEqual(applyStatus(waiting, 'stored', 2).waiting, { reason: 'stored' })
  })
})
