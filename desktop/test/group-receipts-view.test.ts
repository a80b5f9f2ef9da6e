import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  applyReceipt,
  type MemberReceipt,
  mergeReceipts,
  receiptRows,
  receiptSummary,
} from '../src/logic/group-receipts.ts'

const bob = 'wubbbbbbbbbbbbbbbbbbbbbbbbbb'
const carol = 'wucccccccccccccccccccccccccc'
const dan = 'wudddddddddddddddddddddddddd'
const names: Record<string, string> = { [bob]: 'Bob', [carol]: 'Carol', [dan]: 'Dan' }
const nameOf = (u: string) => names[u] ?? u

describe('per-member group receipts', () => {
  test('a state moves forward only; a late delivered after read is ignored', () => {
    const start: MemberReceipt[] = [
      { userId: bob, status: 'sent' },
      { userId: carol, status: 'sent' },
    ]
    const delivered = applyReceipt(start, bob, 'delivered')
    assert.deepEqual(delivered, [
      { userId: bob, status: 'delivered' },
      { userId: carol, status: 'sent' },
    ])
    const read = applyReceipt(delivered, bob, 'read')
    assert.equal(read.find((r) => r.userId === bob)?.status, 'read')
    assert.equal(applyReceipt(read, bob, 'delivered'), read, 'same list back: nothing re-renders')
    assert.equal(applyReceipt(read, bob, 'read'), read)
  })

  test('an event for a member not listed yet adds it', () => {
    assert.deepEqual(applyReceipt([], dan, 'delivered'), [{ userId: dan, status: 'delivered' }])
  })

  test('a re-read list keeps a state an event moved ahead while the call was out', () => {
    const fresh: MemberReceipt[] = [
      { userId: bob, status: 'delivered' },
      { userId: carol, status: 'read' },
    ]
    const known: MemberReceipt[] = [
      { userId: bob, status: 'read' },
      { userId: carol, status: 'delivered' },
    ]
    assert.deepEqual(mergeReceipts(fresh, known), [
      { userId: bob, status: 'read' },
      { userId: carol, status: 'read' },
    ])
  })

  test('rows: read first, then delivered, then sent, by name within each', () => {
    const rows = receiptRows(
      [
        { userId: dan, status: 'delivered' },
        { userId: carol, status: 'sent' },
        { userId: bob, status: 'read' },
      ],
      nameOf,
    )
    assert.deepEqual(
      rows.map((r) => [r.name, r.words]),
      [
        ['Bob', 'Read'],
        ['Dan', 'Delivered'],
        ['Carol', 'Sent'],
      ],
    )
  })

  test('summary counts readers among the delivered', () => {
    assert.equal(
      receiptSummary([
        { userId: bob, status: 'read' },
        { userId: carol, status: 'delivered' },
        { userId: dan, status: 'sent' },
      ]),
      'Read by 1 of 3 · delivered to 2 of 3',
    )
    assert.equal(receiptSummary([]), 'No members to deliver to')
  })
})
