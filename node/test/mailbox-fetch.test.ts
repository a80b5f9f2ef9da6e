/**
 * The pipelined fetch round (node/src/messaging/mailbox-fetch.ts) against in-memory page lists:
 * the order, once-only delivery, persist-then-ack and the overlap of the next page's request with
 * the current page's processing. The same round on real relays is in mailboxes.test.ts.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { toHex } from '../../core/src/bytes.ts'
import type { StoredEnvelope } from '../../core/src/mailbox/response.ts'
import { type FetchedPage, type FetchSource, fetchRound } from '../src/messaging/mailbox-fetch.ts'
import { mergeMailboxOrder } from '../src/messaging/mailbox-order.ts'

function stored(text: string): StoredEnvelope {
  const envelope = new TextEncoder().encode(text)
  return {
    hash: new Uint8Array(createHash('sha256').update(envelope).digest()),
    envelope,
    storedAt: 0,
    expiresAt: 1,
  }
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

/** A mailbox serving `items` in pages of `pageSize`, logging every request and ack. */
function source(
  name: string,
  items: string[],
  pageSize: number,
  log: string[],
  options: { failPage?: number; hashesOnly?: boolean } = {},
): FetchSource<string> {
  const list = items.map(stored)
  return {
    record: name,
    async fetchPage(cursor, hashesOnly): Promise<FetchedPage> {
      const from = cursor === undefined ? 0 : Number(text(cursor))
      const page = from / pageSize
      const hashes = hashesOnly && options.hashesOnly !== false
      log.push(`${name} page ${page}${hashes ? ' hashes' : ''}`)
      await new Promise((resolve) => setImmediate(resolve))
      if (options.failPage === page) return { ok: false }
      const envelopes = list
        .slice(from, from + pageSize)
        .map((e) => (hashes ? { ...e, envelope: new Uint8Array(0) } : e))
      const next = from + envelopes.length
      return {
        ok: true,
        envelopes,
        more: next < list.length,
        nextCursor: new TextEncoder().encode(String(next)),
      }
    },
    async ack(hashes) {
      const byHash = new Map(list.map((e) => [toHex(e.hash), text(e.envelope)]))
      log.push(`${name} ack ${hashes.map((h) => byHash.get(toHex(h))).join(',')}`)
    },
  }
}

const numbered = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`)

describe('pipelined mailbox fetch round', () => {
  test('every envelope once, in order, each acked to every mailbox that held it after it was delivered', async () => {
    const log: string[] = []
    const delivered: string[] = []
    const a = source('a', numbered(7), 3, log)
    // b lags: its pages hold the same envelopes shifted, so m3..m5 reach it on a later page
    const b = source('b', ['m0', 'm1', 'm3', 'm4', 'm5', 'm6'], 2, log)
    const { outcomes, delivered: count } = await fetchRound([a, b], {
      maxPages: 16,
      deliverBatch: 2,
      deliver: async (envelopes) => {
        for (const e of envelopes) delivered.push(text(e))
        log.push(`deliver ${envelopes.map(text).join(',')}`)
      },
    })
    assert.deepEqual(delivered, numbered(7))
    assert.equal(count, 7)
    assert.deepEqual(outcomes, [
      { record: 'a', ok: true, empty: false },
      { record: 'b', ok: true, empty: false },
    ])
    for (const [name, items] of [
      ['a', numbered(7)],
      ['b', ['m0', 'm1', 'm3', 'm4', 'm5', 'm6']],
    ] as const) {
      const acked = log
        .filter((l) => l.startsWith(`${name} ack `))
        .flatMap((l) => l.slice(`${name} ack `.length).split(','))
      assert.deepEqual([...acked].sort(), [...items].sort(), `${name}: every envelope acked once`)
      for (const item of acked) {
        const deliveredAt = log.findIndex(
          (l) => l.startsWith('deliver ') && l.slice(8).split(',').includes(item),
        )
        const ackedAt = log.findIndex(
          (l) => l.startsWith(`${name} ack `) && l.split(' ')[2]?.split(',').includes(item),
        )
        assert.ok(
          deliveredAt >= 0 && deliveredAt < ackedAt,
          `${item} acked to ${name} only after its delivery`,
        )
      }
    }
  })

  test('the next page is requested before the current page is processed', async () => {
    const log: string[] = []
    await fetchRound([source('a', numbered(6), 2, log)], {
      maxPages: 16,
      deliverBatch: 256,
      deliver: async (envelopes) => {
        log.push(`deliver ${envelopes.map(text).join(',')}`)
      },
    })
    assert.ok(log.indexOf('a page 1') < log.indexOf('deliver m0,m1'), log.join(' | '))
    assert.ok(log.indexOf('a page 2') < log.indexOf('deliver m2,m3'), log.join(' | '))
  })

  test('a failed page marks its mailbox, what came before is still delivered, the others go on', async () => {
    const log: string[] = []
    const delivered: string[] = []
    const { outcomes } = await fetchRound(
      [source('a', numbered(6), 2, log, { failPage: 1 }), source('b', [], 2, log)],
      {
        maxPages: 16,
        deliverBatch: 256,
        deliver: async (envelopes) => {
          for (const e of envelopes) delivered.push(text(e))
        },
      },
    )
    assert.deepEqual(delivered, ['m0', 'm1'])
    assert.deepEqual(outcomes, [
      { record: 'a', ok: false, empty: false },
      { record: 'b', ok: true, empty: true },
    ])
  })

  test('a failed delivery acknowledges nothing of its batch and stops the round', async () => {
    const log: string[] = []
    let calls = 0
    await assert.rejects(
      fetchRound([source('a', numbered(6), 2, log)], {
        maxPages: 16,
        deliverBatch: 2,
        deliver: async () => {
          calls++
          if (calls === 2) throw new Error('disk full')
        },
      }),
      /disk full/,
    )
    assert.deepEqual(
      log.filter((l) => l.includes(' ack ')),
      ['a ack m0,m1'],
    )
  })

  test('the first mailbox sends envelopes, the others hashes only; all are acked', async () => {
    const log: string[] = []
    const delivered: string[] = []
    await fetchRound([source('a', numbered(4), 2, log), source('b', numbered(4), 2, log)], {
      maxPages: 16,
      deliverBatch: 256,
      deliver: async (envelopes) => {
        for (const e of envelopes) delivered.push(text(e))
      },
    })
    assert.deepEqual(delivered, numbered(4))
    assert.deepEqual(
      log.filter((l) => l.includes(' page ')),
      ['a page 0', 'b page 0 hashes', 'a page 1', 'b page 1 hashes'],
    )
    for (const name of ['a', 'b']) {
      const acked = log
        .filter((l) => l.startsWith(`${name} ack `))
        .flatMap((l) => l.split(' ')[2]?.split(','))
      assert.deepEqual(acked.sort(), numbered(4), `${name} acked every envelope`)
    }
  })

  test('a hashes-only page naming an envelope nobody sent is read again in full', async () => {
    const log: string[] = []
    const delivered: string[] = []
    // a missed m2; b has it
    await fetchRound([source('a', ['m0', 'm1', 'm3'], 2, log), source('b', numbered(4), 2, log)], {
      maxPages: 16,
      deliverBatch: 256,
      deliver: async (envelopes) => {
        for (const e of envelopes) delivered.push(text(e))
      },
    })
    assert.deepEqual([...delivered].sort(), numbered(4))
    assert.ok(log.includes('b page 1'), log.join(' | '))
  })

  test('when the first mailbox fails, the others are read in full', async () => {
    const log: string[] = []
    const delivered: string[] = []
    const { outcomes } = await fetchRound(
      [source('a', numbered(2), 2, log, { failPage: 0 }), source('b', numbered(2), 2, log)],
      {
        maxPages: 16,
        deliverBatch: 256,
        deliver: async (envelopes) => {
          for (const e of envelopes) delivered.push(text(e))
        },
      },
    )
    assert.deepEqual(delivered, numbered(2))
    assert.equal(outcomes[0]?.ok, false)
    assert.deepEqual(
      log.filter((l) => l.includes(' page ')),
      ['a page 0', 'b page 0 hashes', 'b page 0'],
    )
  })

  test('a relay that ignores hashes-only (older) sends envelopes, delivered once', async () => {
    const log: string[] = []
    const delivered: string[] = []
    await fetchRound(
      [source('a', numbered(3), 2, log), source('b', numbered(3), 2, log, { hashesOnly: false })],
      {
        maxPages: 16,
        deliverBatch: 256,
        deliver: async (envelopes) => {
          for (const e of envelopes) delivered.push(text(e))
        },
      },
    )
    assert.deepEqual(delivered, numbered(3))
  })

  test('maxPages bounds the pages read from one mailbox', async () => {
    const log: string[] = []
    const { delivered } = await fetchRound([source('a', numbered(10), 2, log)], {
      maxPages: 3,
      deliverBatch: 256,
      deliver: async () => {},
    })
    assert.equal(delivered, 6)
    assert.equal(log.filter((l) => l.includes(' page ')).length, 3)
  })
})

/** The merge as first written (an array splice per new envelope, O(n²)): the reference order. */
function referenceMerge(lists: readonly StoredEnvelope[][]): StoredEnvelope[] {
  const merged: StoredEnvelope[] = []
  const position = new Map<string, number>()
  for (const list of lists) {
    let previous = -1
    for (const item of list) {
      const key = toHex(item.hash)
      const at = position.get(key)
      if (at !== undefined) {
        previous = at
        continue
      }
      merged.splice(previous + 1, 0, item)
      for (const [k, p] of position) if (p > previous) position.set(k, p + 1)
      position.set(key, previous + 1)
      previous += 1
    }
  }
  return merged
}

describe('mergeMailboxOrder', () => {
  test('gives the reference order for lists that share, miss and reorder envelopes', () => {
    const pool = numbered(40).map(stored)
    const list = fc.uniqueArray(fc.integer({ min: 0, max: pool.length - 1 }), { maxLength: 40 })
    fc.assert(
      fc.property(fc.array(list, { maxLength: 4 }), (indexLists) => {
        const lists = indexLists.map((l) => l.map((i) => pool[i] as StoredEnvelope))
        const names = (l: StoredEnvelope[]) => l.map((e) => text(e.envelope))
        assert.deepEqual(names(mergeMailboxOrder(lists)), names(referenceMerge(lists)))
      }),
      { seed: 14, numRuns: 500 },
    )
  })
})
