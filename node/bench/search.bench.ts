/**
 * Message search on 100,000 messages (issue 17: ≤ 100 ms per query): the messages are written
 * to a real sealed LevelDB store as the daemon writes them, the index is built from that store
 * as at the first search after unlock, then a seeded mix of queries runs (common and rare word
 * prefixes, infixes, two terms, misses, one conversation only) and pages of results are read.
 *
 * Rows (docs/bench/search.json): query p50/p95/max, index build from the store, insert cost per
 * message (the index's part of a write: decode + fold + put), and the index's heap size.
 *
 *   npm run bench:search [-- --quick] [-- --out FILE]
 * (run with --expose-gc for the heap row; the npm script does)
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { MESSAGE_RECORD, type MessageRecord } from '../src/messaging/records.ts'
import { Vault } from '../src/messaging/vault.ts'
import { SearchIndex } from '../src/search/search-index.ts'
import { MessageSearch } from '../src/search/search-service.ts'
import { type BatchOp, SealedStore } from '../src/storage/sealed-store.ts'
import { type BenchRow, benchArgs, load1, percentile, round, writeRows } from './bench-report.ts'

const { quick, out } = benchArgs('docs/bench/search.json')
/** The figure; --quick uses a tenth. */
const MESSAGES = quick ? 10_000 : 100_000
const CONVERSATIONS = 200
const QUERIES = quick ? 100 : 400
const WRITE_BATCH = 1000
/** Goal per query (issue 17). */
const QUERY_GOAL_MS = 100

const random = seededRandom('bench-search')
function below(n: number): number {
  const b = random(4)
  const u32 =
    (((b[0] as number) << 24) | ((b[1] as number) << 16) | ((b[2] as number) << 8) | (b[3] as number)) >>> 0
  return u32 % n
}

// a vocabulary with a Zipf-like spread: a few words everywhere, most words rare
const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'su', 'ta', 'ri', 'po', 'é', 'Ü', 'ß', 'an', 'er', 'ol', 'ix']
const VOCABULARY = Array.from({ length: 20_000 }, () => {
  let w = ''
  const n = 2 + below(3)
  for (let i = 0; i < n; i++) w += SYLLABLES[below(SYLLABLES.length)]
  return w
})
function word(): string {
  const r = below(1_000_000) / 1_000_000
  return VOCABULARY[Math.floor(VOCABULARY.length * r ** 3)] as string
}
function sentence(): string {
  const n = 3 + below(15)
  const words: string[] = []
  for (let i = 0; i < n; i++) words.push(i === 0 ? capitalize(word()) : word())
  return `${words.join(' ')}${below(4) === 0 ? '?' : '.'}`
}
function capitalize(w: string): string {
  return w.charAt(0).toUpperCase() + w.slice(1)
}

function message(i: number): MessageRecord {
  const conversationId = `dm:wu${String(i % CONVERSATIONS).padStart(26, 'a')}`
  return {
    id: i.toString(16).padStart(32, '0'),
    conversationId,
    seq: Math.floor(i / CONVERSATIONS) + 1,
    direction: i % 2 === 0 ? 'in' : 'out',
    sender: 'wu'.padEnd(28, 'b'),
    text: sentence(),
    sentAt: 1_700_000_000_000 + i * 1000,
    receivedAt: null,
    status: 'delivered',
    receipts: 1,
  }
}

function query(kind: number): { text: string; conversationId?: string } {
  const w = word()
  switch (kind % 6) {
    case 0:
      return { text: w.slice(0, 3) } // a short, common prefix: many hits
    case 1:
      return { text: VOCABULARY[below(VOCABULARY.length)] as string } // a rare word
    case 2:
      return { text: w.slice(1, 4) } // an infix
    case 3:
      return { text: `${w} ${word().slice(0, 2)}` } // two terms
    case 4:
      return { text: 'zzqx' } // a miss: every text scanned
    default:
      return { text: w.slice(0, 2), conversationId: `dm:wu${String(below(CONVERSATIONS)).padStart(26, 'a')}` }
  }
}

function heapMb(): number | null {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) return null
  gc()
  gc()
  return process.memoryUsage().heapUsed / 2 ** 20
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'wren-bench-search-'))
  const storageKey = random(32)
  const store = await SealedStore.open(join(dir, 'store'), storageKey)
  try {
    const vault = new Vault(store, storageKey)
    const messages = Array.from({ length: MESSAGES }, (_, i) => message(i))
    for (let i = 0; i < MESSAGES; i += WRITE_BATCH) {
      const ops: BatchOp[] = messages.slice(i, i + WRITE_BATCH).map((m) => vault.putMessageOp(m))
      await store.batch(ops)
    }
    console.log(`${MESSAGES} messages written to a sealed store (load ${load1()})`)

    const heapBefore = heapMb()
    const search = new MessageSearch(store)
    let t = performance.now()
    await search.build()
    const buildMs = performance.now() - t
    const heapAfter = heapMb()
    const stats = search.stats()

    // insert cost: the index's part of writing a message (what the store observer does: decode
    // the record, fold its text, put it), measured alone: a store write around it varies more
    // with the machine's load than this whole cost
    const extra = Array.from({ length: 5000 }, (_, i) => message(MESSAGES + i))
    const encoded = extra.map((m) => ({
      key: vault.messageKey(m.conversationId, m.seq),
      value: MESSAGE_RECORD.encode(m),
    }))
    const scratch = new SearchIndex()
    t = performance.now()
    for (const { key, value } of encoded) {
      const m = MESSAGE_RECORD.decode(key, value)
      scratch.put(key, {
        messageId: m.id,
        conversationId: m.conversationId,
        seq: m.seq,
        sender: m.sender,
        direction: m.direction,
        sentAt: m.sentAt,
        text: m.text,
      })
    }
    const insertUs = ((performance.now() - t) * 1000) / extra.length
    const live = search

    const times: number[] = []
    let hits = 0
    for (let i = 0; i < QUERIES; i++) {
      const q = query(i)
      t = performance.now()
      const page = await live.search({
        query: q.text,
        limit: 20,
        ...(q.conversationId !== undefined ? { conversationId: q.conversationId } : {}),
      })
      times.push(performance.now() - t)
      hits += page.results.length
    }
    live.stop()
    console.log(`${QUERIES} queries, ${hits} results in all`)

    const rows: BenchRow[] = [
      {
        name: `query p50, ${MESSAGES} messages`,
        unit: 'ms',
        value: round(percentile(times, 50), 2),
        goal: null,
      },
      {
        name: `query p95, ${MESSAGES} messages`,
        unit: 'ms',
        value: round(percentile(times, 95), 2),
        goal: QUERY_GOAL_MS,
      },
      {
        name: `query max, ${MESSAGES} messages`,
        unit: 'ms',
        value: round(Math.max(...times), 2),
        goal: null,
      },
      {
        name: `index build from the sealed store, ${MESSAGES} messages`,
        unit: 'ms',
        value: round(buildMs, 0),
        goal: null,
      },
      {
        name: 'insert cost per message (index part of a write)',
        unit: 'µs',
        value: round(insertUs, 1),
        goal: null,
      },
      {
        name: `index text, ${MESSAGES} messages`,
        unit: 'MB',
        value: round(((stats?.textUnits ?? 0) * 2) / 2 ** 20, 1),
        goal: null,
      },
    ]
    if (heapBefore !== null && heapAfter !== null)
      rows.push({
        name: `index heap, ${MESSAGES} messages`,
        unit: 'MB',
        value: round(heapAfter - heapBefore, 1),
        goal: null,
      })
    rows.push({ name: 'machine load (1 min) at the end', unit: 'load', value: load1(), goal: null })
    writeRows(out, rows)
  } finally {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
