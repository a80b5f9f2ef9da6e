/**
 * One fetch round over this device's mailboxes, pipelined: the first page of every mailbox is
 * requested at once, and while one page's envelopes are decrypted and persisted the next page
 * of each mailbox is already on its way. A catch-up so waits for the slowest relay's first page
 * and then for its own processing, not for every page of every relay first.
 *
 * Each envelope is downloaded once: the first mailbox is read in full, the others with hashes
 * only (what is needed to acknowledge there); a hashes-only page that names an envelope nobody
 * has sent yet (the first mailbox missed it, or failed) is read again in full.
 *
 * Order: each page round's lists are merged (mailbox-order.ts), so the delivered order stays
 * consistent with every mailbox's own order within a page; an envelope already handled earlier
 * in the round (another mailbox held it on an earlier page) is not delivered again, only
 * acknowledged to that mailbox. Persist-then-ack: an envelope is acknowledged to each mailbox
 * that held it only after the delivery that persisted it returned.
 */
import { toHex } from '../../../core/src/bytes.ts'
import type { StoredEnvelope } from '../../../core/src/mailbox/response.ts'
import { mergeMailboxOrder } from './mailbox-order.ts'

/** One page of a mailbox, or a failed request. */
export type FetchedPage =
  | { ok: true; envelopes: StoredEnvelope[]; more: boolean; nextCursor: Uint8Array }
  | { ok: false }

/** One mailbox as the round sees it. */
export interface FetchSource<R> {
  readonly record: R
  /** `hashesOnly`: each envelope may come back empty (its hash and times only). */
  fetchPage(cursor: Uint8Array | undefined, hashesOnly: boolean): Promise<FetchedPage>
  /** Acknowledge persisted envelopes (failures are the source's to log). */
  ack(hashes: Uint8Array[]): Promise<void>
}

export interface FetchRoundOptions {
  /** Pages read from one mailbox in this round at most. */
  maxPages: number
  /** Envelopes handed to `deliver` at once (one sealed write, one ack request per mailbox). */
  deliverBatch: number
  /** Persist and process envelopes in order. */
  deliver: (envelopes: Uint8Array[]) => Promise<unknown>
}

export interface FetchOutcome<R> {
  readonly record: R
  /** false when any of its page requests failed. */
  readonly ok: boolean
  /** Its first page answered with no envelope. */
  readonly empty: boolean
}

interface PageResult<R> {
  readonly source: FetchSource<R>
  readonly cursor: Uint8Array | undefined
  readonly page: FetchedPage
}

const isHashOnly = (e: StoredEnvelope) => e.envelope.length === 0

export async function fetchRound<R>(
  sources: readonly FetchSource<R>[],
  options: FetchRoundOptions,
): Promise<{ outcomes: FetchOutcome<R>[]; delivered: number }> {
  const ok = new Map<FetchSource<R>, boolean>(sources.map((s) => [s, true]))
  const empty = new Map<FetchSource<R>, boolean>()
  const handled = new Set<string>()
  const acks: Array<Promise<void>> = []
  // the first mailbox sends the envelopes, the others their hashes only (to be acked): a
  // catch-up downloads each envelope once, not once per mailbox
  const primary = sources[0]
  const request = (
    source: FetchSource<R>,
    cursor: Uint8Array | undefined,
    hashesOnly = source !== primary,
  ): Promise<PageResult<R>> =>
    source.fetchPage(cursor, hashesOnly).then(
      (page) => ({ source, cursor, page }),
      () => ({ source, cursor, page: { ok: false } }),
    )
  let inFlight = sources.map((s) => request(s, undefined))
  try {
    for (let page = 0; inFlight.length > 0; page++) {
      const results = await withEnvelopes(await Promise.all(inFlight), handled, request)
      inFlight = []
      const lists: StoredEnvelope[][] = []
      const holders = new Map<string, Array<{ source: FetchSource<R>; hash: Uint8Array }>>()
      const ackNow = new Map<FetchSource<R>, Uint8Array[]>()
      for (const { source, page: result } of results) {
        if (!result.ok) {
          ok.set(source, false)
          continue
        }
        if (page === 0) empty.set(source, result.envelopes.length === 0)
        // the next page travels while this one is processed
        if (result.more && page + 1 < options.maxPages) inFlight.push(request(source, result.nextCursor))
        lists.push(result.envelopes)
        for (const item of result.envelopes) {
          const key = toHex(item.hash)
          if (handled.has(key)) {
            // persisted earlier in this round (another mailbox's earlier page): only the ack is due
            pushTo(ackNow, source, item.hash)
            continue
          }
          const entry = holders.get(key) ?? []
          entry.push({ source, hash: item.hash })
          holders.set(key, entry)
        }
      }
      for (const [source, hashes] of ackNow) acks.push(source.ack(hashes))
      // (an envelope still without its bytes here cannot be delivered: it stays at its relay,
      // unacknowledged, for the next round)
      const merged = mergeMailboxOrder(lists).filter((e) => !isHashOnly(e) && !handled.has(toHex(e.hash)))
      for (let i = 0; i < merged.length; i += options.deliverBatch) {
        const chunk = merged.slice(i, i + options.deliverBatch)
        await options.deliver(chunk.map((e) => e.envelope))
        const batch = new Map<FetchSource<R>, Uint8Array[]>()
        for (const item of chunk) {
          const key = toHex(item.hash)
          handled.add(key)
          for (const holder of holders.get(key) ?? []) pushTo(batch, holder.source, holder.hash)
        }
        for (const [source, hashes] of batch) acks.push(source.ack(hashes))
      }
    }
  } finally {
    // a failed delivery leaves pages in flight: settle them, and every ack already sent
    await Promise.allSettled([...inFlight, ...acks])
  }
  return {
    outcomes: sources.map((s) => ({
      record: s.record,
      ok: ok.get(s) === true,
      empty: empty.get(s) === true,
    })),
    delivered: handled.size,
  }
}

/**
 * A page answered with hashes only that names an envelope neither handled in this round nor
 * carried by another answer of this page (the first mailbox missed it, failed, or has no more
 * pages) is asked again with its envelopes, from the same cursor.
 */
async function withEnvelopes<R>(
  results: PageResult<R>[],
  handled: ReadonlySet<string>,
  request: (
    source: FetchSource<R>,
    cursor: Uint8Array | undefined,
    hashesOnly: boolean,
  ) => Promise<PageResult<R>>,
): Promise<PageResult<R>[]> {
  const carried = new Set<string>()
  for (const { page } of results)
    if (page.ok) for (const e of page.envelopes) if (!isHashOnly(e)) carried.add(toHex(e.hash))
  return Promise.all(
    results.map((result) => {
      const { page } = result
      const missing =
        page.ok &&
        page.envelopes.some(
          (e) => isHashOnly(e) && !handled.has(toHex(e.hash)) && !carried.has(toHex(e.hash)),
        )
      return missing ? request(result.source, result.cursor, false) : result
    }),
  )
}

function pushTo<K>(map: Map<K, Uint8Array[]>, key: K, hash: Uint8Array): void {
  const list = map.get(key)
  if (list === undefined) map.set(key, [hash])
  else list.push(hash)
}
