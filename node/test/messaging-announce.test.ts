/**
 * The "we are back" fan-out at start (messaging/announce.ts): every contact is dialled, never
 * more than CONTACT_DIAL_CONCURRENCY at once, a dial that hangs is given up at its timeout, and
 * stop() ends the rest. The dial function is the seam: it counts what is in flight.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { AbortOptions } from '@libp2p/interface'
import { Announcer } from '../src/messaging/announce.ts'
import { CONTACT_DIAL_CONCURRENCY } from '../src/messaging/constants.ts'

const CONTACTS = 20
/** How long each fake dial takes: long enough that dials overlap. */
const DIAL_MS = 5
/** Bound on every wait of these tests. */
const WAIT_MS = 5_000

function hangUntilAborted(options: AbortOptions): Promise<never> {
  return new Promise((_, reject) => {
    options.signal?.addEventListener('abort', () => reject(options.signal?.reason), { once: true })
  })
}

function within<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout: ${what}`)), WAIT_MS)
  })
  return Promise.race([p, limit]).finally(() => clearTimeout(timer))
}

describe('announce at start', () => {
  test(`announcing to ${CONTACTS} contacts dials each once, at most CONTACT_DIAL_CONCURRENCY at a time`, async () => {
    let inFlight = 0
    let most = 0
    const dialled: number[] = []
    const announcer = new Announcer<number>({
      concurrency: CONTACT_DIAL_CONCURRENCY,
      timeoutMs: WAIT_MS,
      dial: async (peer) => {
        inFlight++
        most = Math.max(most, inFlight)
        dialled.push(peer)
        await new Promise((resolve) => setTimeout(resolve, DIAL_MS))
        inFlight--
        if (peer % 3 === 0) throw new Error('contact offline') // failures are dropped
      },
    })
    const peers = Array.from({ length: CONTACTS }, (_, i) => i)
    await within(announcer.announce(peers), 'announce')
    assert.deepEqual(
      [...dialled].sort((a, b) => a - b),
      peers,
    )
    assert.equal(most, CONTACT_DIAL_CONCURRENCY)
    assert.equal(inFlight, 0)
  })

  test('a dial that never answers is given up after its timeout', async () => {
    const timeoutMs = 50
    const announcer = new Announcer<number>({
      concurrency: 2,
      timeoutMs,
      dial: (_peer, options) => hangUntilAborted(options),
    })
    const started = performance.now()
    await within(announcer.announce([1, 2, 3]), 'announce with hanging dials')
    // two rounds of timeouts (2 at once, then the third)
    assert.ok(performance.now() - started >= 2 * timeoutMs - 5)
  })

  test('stop() aborts the running dials and drops the ones not started', async () => {
    let started = 0
    const announcer = new Announcer<number>({
      concurrency: 2,
      timeoutMs: WAIT_MS,
      dial: (_peer, options) => {
        started++
        return hangUntilAborted(options)
      },
    })
    const done = announcer.announce(Array.from({ length: 10 }, (_, i) => i))
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(started, 2)
    announcer.stop()
    await within(done, 'announce after stop')
    assert.equal(started, 2)
  })
})
