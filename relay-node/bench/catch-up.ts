/**
 * The daemon part of relay.bench.ts: three relay processes, alice and bob as real daemons with
 * k = 3 mailboxes, bob offline. Measures send → 3 receipts (one message at a time), the stored
 * envelope size of a short text message, and bob's catch-up on 1,000 queued messages after his
 * daemon restarts. Every wait is bounded; everything started here is stopped here.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { load1, percentile, pollUntil, processCpuMs, round } from '../../node/bench/bench-report.ts'
import type { WrenClient } from '../../node/src/rpc/client.ts'
import { type ChatPeer, startPeer, TEST_PASSPHRASE } from '../../test/fixtures/chat.ts'
import { type SpawnedDaemon, spawnDaemon } from '../../test/fixtures/daemon.ts'
import { type RelayProcess, readMetric, startRelayProcess } from './relay-process.ts'

/** Bound on mailbox registration + bundle publication, and on one message's receipts. */
/** Issue 14's goal for the catch-up of 1,000 queued messages after unlock (the row showed 5,000). */
const CATCH_UP_GOAL_MS = 500
const SETUP_TIMEOUT_MS = 60_000
/** Bound on 1,000 messages reaching 'stored' with 3 receipts, and on the catch-up itself. */
const BULK_TIMEOUT_MS = 120_000
/** Per-peer deposit burst on these relays (default 200): holds a 1,000-message queue. */
const DEPOSIT_BURST = 2_000
/** messages.send calls in flight while queueing the 1,000 messages. */
const QUEUE_WINDOW = 16
/** Relays, and mailboxes per device (the default k). */
const RELAYS = 3

type Row = (name: string, unit: string, value: number, goal: number | null) => void

function relayArg(relay: RelayProcess): string {
  const addr = relay.multiaddrs
    .map((a) => a.toString())
    .find((a) => a.includes('/tcp/') && !a.includes('/ws'))
  if (addr === undefined) throw new Error('relay has no TCP address')
  return addr.includes('/p2p/') ? addr : `${addr}/p2p/${relay.peerId.toString()}`
}

/** First time each message id reached status 'stored' with `receipts` receipts, at alice. */
class StoredWatch {
  readonly at = new Map<string, number>()
  readonly receipts: number
  constructor(receipts: number) {
    this.receipts = receipts
  }
  onStatus = (p: { messageId: string; status: string; receipts: number }): void => {
    if (p.status === 'stored' && p.receipts >= this.receipts && !this.at.has(p.messageId))
      this.at.set(p.messageId, performance.now())
  }
}

async function send(client: WrenClient, to: ChatPeer, text: string): Promise<string> {
  return (await client.call('messages.send', { conversationId: `dm:${to.userId}`, text })).message.id
}

export async function benchCatchUp(options: {
  quick: boolean
  relayEnv: Record<string, string>
  /** Environment of the daemons (e.g. NODE_OPTIONS for --cpu-prof). */
  daemonEnv?: Record<string, string>
  row: Row
}): Promise<{ envelopeBytes: number }> {
  const { quick, row } = options
  const env = options.daemonEnv ?? {}
  const receiptMessages = quick ? 5 : 40
  const queued = quick ? 200 : 1_000
  console.log(
    `daemons: ${RELAYS} relays, k = ${RELAYS}; ${receiptMessages} messages one by one, then ${queued} queued`,
  )
  const dirs = await Promise.all(
    Array.from({ length: RELAYS }, () => mkdtemp(join(tmpdir(), 'wren-bench-relay-'))),
  )
  const relays: RelayProcess[] = []
  const peers: ChatPeer[] = []
  let bobAgain: SpawnedDaemon | undefined
  try {
    for (const dir of dirs) {
      relays.push(
        await startRelayProcess(
          dir,
          { mailbox: { depositRate: { burst: DEPOSIT_BURST, ratePerSecond: 20 } } },
          options.relayEnv,
        ),
      )
    }
    const relayArgs = relays.flatMap((r) => ['--relay', relayArg(r)])
    const alice = await startPeer('Alice', { args: relayArgs, env })
    peers.push(alice)
    const bobArgs = [...relayArgs, ...alice.addrs.flatMap((a) => ['--bootstrap', a])]
    const bob = await startPeer('Bob', { args: bobArgs, env })
    peers.push(bob)
    await alice.client.call('contacts.add', { card: (await bob.client.call('identity.get', {})).card })
    await bob.client.call('contacts.add', { card: (await alice.client.call('identity.get', {})).card })
    for (const peer of [alice, bob]) {
      await pollUntil(
        'mailboxes registered and bundle published',
        async () => {
          const status = await peer.client.call('node.status', {})
          return status.mailboxes === RELAYS && status.bundlePublished ? true : undefined
        },
        SETUP_TIMEOUT_MS,
        100,
      )
    }
    // a session both ways while both are online: until alice hears from bob, each of her
    // messages would carry the PQXDH header (first contact is not what is measured)
    let helloArrived = false
    let replyArrived = false
    await bob.client.on('message.received', () => {
      helloArrived = true
    })
    await alice.client.on('message.received', () => {
      replyArrived = true
    })
    await send(alice.client, bob, 'hello')
    await pollUntil('hello at bob', () => (helloArrived ? true : undefined), SETUP_TIMEOUT_MS, 20).catch(
      (error) => {
        console.error([...alice.daemon.logs.slice(-20), '---', ...bob.daemon.logs.slice(-20)].join('\n'))
        throw error
      },
    )
    await send(bob.client, alice, 'hello back')
    await pollUntil('reply at alice', () => (replyArrived ? true : undefined), SETUP_TIMEOUT_MS, 20)
    await bob.daemon.stop()

    const three = new StoredWatch(RELAYS)
    await alice.client.on('message.status', three.onStatus)
    const receiptTimes: number[] = []
    for (let i = 0; i < receiptMessages; i++) {
      const t0 = performance.now()
      const id = await send(alice.client, bob, `rcpt ${i}`)
      const at = await pollUntil(`${RELAYS} receipts`, () => three.at.get(id), SETUP_TIMEOUT_MS, 1)
      receiptTimes.push(at - t0)
    }
    row(
      `send → ${RELAYS} receipts p50 (recipient offline)`,
      'ms',
      round(percentile(receiptTimes, 50), 1),
      500,
    )
    row(`send → ${RELAYS} receipts p99`, 'ms', round(percentile(receiptTimes, 99), 1), 2000)

    const q0 = performance.now()
    const ids: string[] = []
    let next = 0
    const sender = async () => {
      while (next < queued) {
        const i = next++
        ids.push(await send(alice.client, bob, `catchup ${i}`))
      }
    }
    await Promise.all(Array.from({ length: QUEUE_WINDOW }, sender))
    await pollUntil(
      `${queued} messages stored with ${RELAYS} receipts`,
      () => (ids.every((id) => three.at.has(id)) ? true : undefined),
      BULK_TIMEOUT_MS,
      50,
    )
    const queueMs = performance.now() - q0
    console.log(
      `  ${queued} messages sent and stored with ${RELAYS} receipts each in ${queueMs.toFixed(0)} ms`,
    )
    row(
      `${queued} messages → all stored with ${RELAYS} receipts (send calls in parallel)`,
      'ms',
      round(queueMs, 0),
      null,
    )

    const stored = await readMetric(relays[0]?.metricsUrl ?? '', 'wren_relay_mailbox_stored_envelopes')
    const bytes = await readMetric(relays[0]?.metricsUrl ?? '', 'wren_relay_mailbox_stored_bytes')
    const envelopeBytes = Math.round(bytes / stored)
    row('stored envelope bytes per short text message (one relay)', 'B', envelopeBytes, 1024)

    // bob comes back: a fresh daemon process on his profile
    const arrivals: string[] = []
    let lastAt = 0
    const t0 = performance.now()
    bobAgain = await spawnDaemon({
      home: bob.home,
      profile: bob.daemon.profile,
      keepHome: true,
      args: bobArgs,
      env,
    })
    await bobAgain.client.on('message.received', ({ message }) => {
      if (!message.text.startsWith('catchup ')) return
      arrivals.push(message.text)
      lastAt = performance.now()
    })
    const tSpawned = performance.now()
    await bobAgain.client.call('identity.unlock', { passphrase: TEST_PASSPHRASE })
    const tUnlocked = performance.now()
    const cpuAtUnlock = processCpuMs(bobAgain.pid)
    const relaysCpuAtUnlock = relays.map((r) => processCpuMs(r.pid))
    await pollUntil(
      `${queued} messages at bob`,
      () => (arrivals.length >= queued ? true : undefined),
      BULK_TIMEOUT_MS,
      10,
    )
    const catchUpCpu = processCpuMs(bobAgain.pid) - cpuAtUnlock
    const fetches = await Promise.all(
      relays.map(async (r) => {
        const all = await readMetric(r.metricsUrl, 'wren_relay_mailbox_fetches_total')
        const hashes = await readMetric(r.metricsUrl, 'wren_relay_mailbox_hash_fetches_total')
        return `${all} (${hashes} hashes only)`
      }),
    )
    console.log(`  fetch requests per relay, whole run: ${fetches.join(', ')}`)
    const relaysCpu = relays.reduce((sum, r, i) => sum + processCpuMs(r.pid) - (relaysCpuAtUnlock[i] ?? 0), 0)
    const inOrder = arrivals.every((text, i) => text === `catchup ${i}`) && arrivals.length === queued
    console.log(
      `  bob: daemon up ${(tSpawned - t0).toFixed(0)} ms, unlocked ${(tUnlocked - t0).toFixed(0)} ms, ` +
        `${queued}th message ${(lastAt - t0).toFixed(0)} ms after spawn; once and in order: ${inOrder}; load ${load1()}`,
    )
    if (!inOrder) throw new Error('catch-up delivered messages out of order or more than once')
    row(
      `offline catch-up: ${queued} queued messages (unlock returned → last received)`,
      'ms',
      round(lastAt - tUnlocked, 0),
      CATCH_UP_GOAL_MS,
    )
    row(
      `CPU time of bob's daemon during the catch-up (unlock returned → last received)`,
      'ms',
      round(catchUpCpu, 0),
      null,
    )
    row(`CPU time of the ${RELAYS} relays during the catch-up, together`, 'ms', round(relaysCpu, 0), null)
    row(
      `offline catch-up: ${queued} queued messages (daemon spawn → last received)`,
      'ms',
      round(lastAt - t0, 0),
      null,
    )
    return { envelopeBytes }
  } finally {
    await bobAgain?.stop()
    await Promise.allSettled(peers.map((p) => p.stop()))
    await Promise.allSettled(relays.map((r) => r.stop()))
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
  }
}
