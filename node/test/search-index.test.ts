/**
 * The message search: folding, the in-memory index, snippets, the cursor parser (capped, fuzzed),
 * and the service following a real sealed LevelDB store through sends, edits and deletes.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import fc from 'fast-check'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { InvalidInputError } from '../src/errors.ts'
import type { MessageRecord } from '../src/messaging/records.ts'
import { Vault } from '../src/messaging/vault.ts'
import {
  formatSearchCursor,
  InvalidSearchCursorError,
  MAX_SEARCH_CURSOR_CHARS,
  parseSearchCursor,
} from '../src/search/cursor.ts'
import { fold, foldWithMap } from '../src/search/fold.ts'
import { queryTerms, SearchIndex, snippetOf } from '../src/search/search-index.ts'
import { MessageSearch } from '../src/search/search-service.ts'
import { SealedStore } from '../src/storage/sealed-store.ts'

const SEED = 17017

function indexed(i: number, text: string, conversationId = 'dm:a') {
  return {
    messageId: `m${i}`,
    conversationId,
    seq: i,
    sender: 'wu',
    direction: 'in' as const,
    sentAt: 1000 + i,
    text,
  }
}

describe('search folding', () => {
  test('folds case, diacritics, compatibility forms, sharp s and final sigma', () => {
    assert.equal(fold('Café ÜBER'), 'cafe uber')
    assert.equal(fold('İstanbul'), 'istanbul')
    assert.equal(fold('ﬁle ＡＢＣ'), 'file abc')
    assert.equal(fold('Straße'), 'strasse')
    assert.equal(fold('𝒜𝐁c'), 'abc')
    assert.equal(fold('ΟΔΟΣ οδος'), 'οδοσ οδοσ')
  })

  test('folding code point by code point equals folding the whole text (seeded texts)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => {
        assert.equal(foldWithMap(text).folded, fold(text))
      }),
      { seed: SEED, numRuns: 500 },
    )
  })
})

describe('search index', () => {
  test('finds substrings and word prefixes, case- and accent-insensitively, newest first', () => {
    const index = new SearchIndex()
    index.put('k1', indexed(1, 'Hello World'))
    index.put('k2', indexed(2, 'the café opens at nine'))
    index.put('k3', indexed(3, 'WORLDWIDE news'))
    index.put('k4', indexed(4, 'nothing here'))
    const q = (query: string) =>
      index.search({ terms: queryTerms(query, 8), limit: 10 }).hits.map((h) => h.message.messageId)
    assert.deepEqual(q('wor'), ['m3', 'm1'])
    assert.deepEqual(q('orld'), ['m3', 'm1'])
    assert.deepEqual(q('CAFE'), ['m2'])
    assert.deepEqual(q('hel wor'), ['m1'])
    assert.deepEqual(q('hel news'), [])
    const prefix = index.search({ terms: queryTerms('orld', 8), limit: 10 }).hits
    assert.deepEqual(
      prefix.map((h) => h.wordPrefix),
      [false, false],
    )
    assert.equal(index.search({ terms: queryTerms('wor', 8), limit: 10 }).hits[0]?.wordPrefix, true)
  })

  test('pages with a cursor: every match once, in order, whatever the page size', () => {
    const index = new SearchIndex()
    // equal times across conversations: the order still is total
    for (let i = 1; i <= 57; i++)
      index.put(`k${i}`, {
        ...indexed(i, `match ${i}`, i % 2 === 0 ? 'dm:a' : 'dm:b'),
        sentAt: 1000 + (i % 5),
      })
    for (const limit of [1, 7, 57, 100]) {
      const seen: string[] = []
      let after: ReturnType<typeof parseSearchCursor> | undefined
      for (;;) {
        const page = index.search({ terms: ['match'], limit, ...(after ? { after } : {}) })
        seen.push(...page.hits.map((h) => h.message.messageId))
        if (page.next === null) break
        after = parseSearchCursor(formatSearchCursor(page.next))
      }
      assert.equal(seen.length, 57)
      assert.equal(new Set(seen).size, 57)
    }
  })

  test('one conversation only when asked; re-put replaces, remove and empty text drop', () => {
    const index = new SearchIndex()
    index.put('k1', indexed(1, 'apple pie', 'dm:a'))
    index.put('k2', indexed(2, 'apple tart', 'dm:b'))
    assert.equal(index.search({ terms: ['apple'], conversationId: 'dm:b', limit: 10 }).hits.length, 1)
    index.put('k1', indexed(1, 'pear pie', 'dm:a'))
    assert.equal(index.search({ terms: ['apple'], limit: 10 }).hits.length, 1)
    index.put('k2', indexed(2, '', 'dm:b'))
    index.remove('k1')
    assert.equal(index.size, 0)
    assert.equal(index.textUnits, 0)
  })

  test('snippets keep context around the first match and mark every match in the original text', () => {
    const text = `${'x'.repeat(100)} Straße und STRASSE ${'y'.repeat(100)}`
    const snippet = snippetOf(text, queryTerms('strasse', 8))
    assert.ok(snippet.text.startsWith('…') && snippet.text.endsWith('…'))
    const marked = snippet.highlights.map((h) => snippet.text.slice(h.start, h.start + h.length))
    assert.deepEqual(marked, ['Straße', 'STRASSE'])
    const emoji = snippetOf(`${'😀'.repeat(30)} café ${'😀'.repeat(30)}`, ['cafe'])
    assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(emoji.text))
  })
})

describe('search queries', () => {
  test('any query (fuzzed) gives at most the capped number of non-empty folded terms, and a search never throws', () => {
    const index = new SearchIndex()
    index.put('k1', indexed(1, 'Grüße aus Köln 🙂 ﬁne'))
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (query) => {
        const terms = queryTerms(query, 8)
        assert.ok(terms.length <= 8)
        for (const term of terms) {
          assert.ok(term.length > 0 && !/\s/u.test(term))
          assert.equal(fold(term), term)
        }
        const page = index.search({ terms, limit: 5 })
        for (const hit of page.hits) snippetOf(hit.message.text, terms)
      }),
      { seed: SEED, numRuns: 1000 },
    )
    assert.deepEqual(queryTerms('GRÜSSE köln', 8), ['grusse', 'koln'])
    assert.equal(index.search({ terms: queryTerms('GRÜSSE köln', 8), limit: 5 }).hits.length, 1)
  })
})

describe('search cursor', () => {
  test('round-trips and refuses anything it did not write (fuzzed, capped)', () => {
    const position = { sentAt: 1_700_000_000_000, seq: 42, conversationId: 'dm:wuabc' }
    assert.deepEqual(parseSearchCursor(formatSearchCursor(position)), position)
    assert.throws(() => parseSearchCursor('x'.repeat(MAX_SEARCH_CURSOR_CHARS + 1)), InvalidSearchCursorError)
    assert.throws(() => parseSearchCursor('1.2.'), InvalidInputError)
    assert.throws(() => parseSearchCursor('99999999999999999.1.dm:a'), InvalidSearchCursorError)
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (input) => {
        try {
          const parsed = parseSearchCursor(input)
          assert.equal(formatSearchCursor(parsed), input)
        } catch (error) {
          assert.ok(error instanceof InvalidSearchCursorError)
        }
      }),
      { seed: SEED, numRuns: 2000 },
    )
  })
})

describe('search service on a sealed store', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wren-search-'))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  test('built from the store at first search, then follows sends, edits, deletes and clears', async () => {
    const key = seededRandom('search-store')(32)
    const store = await SealedStore.open(join(dir, 'store'), key)
    const vault = new Vault(store, key)
    const search = new MessageSearch(store)
    try {
      const message = (seq: number, text: string): MessageRecord => ({
        id: `id${seq}`,
        conversationId: 'dm:peer',
        seq,
        direction: 'out',
        sender: 'wume',
        text,
        sentAt: 5000 + seq,
        receivedAt: null,
        status: 'sent',
        receipts: 0,
      })
      await store.batch([
        vault.putMessageOp(message(1, 'Lunch at noon?')),
        vault.putMessageOp(message(2, 'sure')),
      ])
      const ids = async (query: string) =>
        (await search.search({ query, limit: 10 })).results.map((r) => r.messageId)
      assert.equal(search.stats(), null, 'nothing is built before the first search')
      assert.deepEqual(await ids('lunch'), ['id1'])
      await store.batch([vault.putMessageOp(message(3, 'Lunchbox forgotten'))])
      assert.deepEqual(await ids('lunch'), ['id3', 'id1'])
      await store.batch([vault.putMessageOp({ ...message(1, 'Dinner at eight?'), editedAt: 9000 })])
      assert.deepEqual(await ids('lunch'), ['id3'])
      assert.deepEqual(await ids('dinner'), ['id1'])
      await store.batch([vault.putMessageOp({ ...message(3, ''), deletedAt: 9100 })])
      assert.deepEqual(await ids('lunch'), [])
      await store.batch([{ type: 'del', key: vault.messageKey('dm:peer', 1) }])
      assert.deepEqual(await ids('dinner'), [])
      const hit = (await search.search({ query: 'sur', limit: 10 })).results[0]
      assert.deepEqual(hit?.snippet, { text: 'sure', highlights: [{ start: 0, length: 3 }] })
    } finally {
      search.stop()
      await store.close()
    }
  })
})
