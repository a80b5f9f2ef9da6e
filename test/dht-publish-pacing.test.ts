/**
 * A daemon whose records no DHT takes (here: its LAN peers refuse them, as peers of an older
 * version refuse a namespace they do not know, and its WAN DHT has no peers) asks again on the
 * publishers' backoff, not at every identify. The runtime used to re-publish the bundle and the
 * device list to every DHT at each `peer:identify` while the last publish had failed everywhere
 * (or was still in flight), resetting the backoff: every connection and identify-push was a
 * LAN-wide put of two records (the idle CPU and simulation start cost of issue 20).
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { userRecordRules } from '../node/src/app/record-rules.ts'
import { createNodeSuite } from '../node/src/crypto/node-suite.ts'
import type { NamespaceRules } from '../node/src/p2p/dht-records.ts'
import { createWrenHost } from '../node/src/p2p/host.ts'
import { type ChatPeer, startPeer } from './fixtures/chat.ts'

/** LAN DHT peers that connect to the daemon one after another. */
const PEERS = 6
/** Pause between their dials: libp2p takes at most 5 inbound connections a second from one address. */
const DIAL_GAP_MS = 300
/** Bound on one dial. */
const DIAL_TIMEOUT_MS = 5_000
/** Records the daemon keeps in the DHTs: its prekey bundle and its device list. */
const RECORDS = 2
/**
 * Put attempts of one record a refusing peer may see in this test's ~20 s: the publishers retry
 * a DHT that refused after 5, then 10, then 20 s (BUNDLE_PUBLISH_RETRY_MS doubling), and a new
 * connection brings a retry forward to 5 s. The old behaviour asked at every identify.
 */
const MAX_PUTS_PER_RECORD = 4
/** Bound on the wait for the first put attempt to reach a peer. */
const FIRST_PUT_TIMEOUT_MS = 30_000
/**
 * Time after the peers' identify-pushes in which further puts are counted: longer than the
 * publishers' 5 s retry after a connection; the old behaviour put at once.
 */
const AFTER_MS = 7_000
/** A protocol the peers start serving after they connected (it is never dialled). */
const EXTRA_PROTOCOL = '/wren-test/identify-push/1.0.0'

/** Wren's record rules with every validator counting the put it is asked about, then refusing it. */
function refusing(rules: NamespaceRules, counter: { puts: number }): NamespaceRules {
  const validators = Object.fromEntries(
    Object.keys(rules.validators).map((namespace) => [
      namespace,
      async () => {
        counter.puts++
        throw new Error(`this peer does not store ${namespace} records`)
      },
    ]),
  )
  return { validators, selectors: rules.selectors }
}

let daemon: ChatPeer
const hosts: Array<{ host: Libp2p; counter: { puts: number } }> = []

before(async () => {
  daemon = await startPeer('Publisher', { args: ['--no-mdns'] })
  const suite = createNodeSuite()
  for (let i = 0; i < PEERS; i++) {
    const counter = { puts: 0 }
    const host = await createWrenHost({
      privateKey: await generateKeyPair('Ed25519'),
      mdns: false,
      records: refusing(userRecordRules(suite, Date.now), counter),
    })
    hosts.push({ host, counter })
  }
})

after(async () => {
  await Promise.allSettled(hosts.map(({ host }) => host.stop()))
  await daemon?.stop()
})

test('peers that refuse the daemon’s records are asked again on the backoff, not at each of their connections and identify-pushes', async (t) => {
  for (const { host } of hosts) {
    await host.dial(
      daemon.addrs.map((a) => multiaddr(a)),
      { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) },
    )
    await new Promise((resolve) => setTimeout(resolve, DIAL_GAP_MS))
  }
  const deadline = Date.now() + FIRST_PUT_TIMEOUT_MS
  while (hosts.every(({ counter }) => counter.puts === 0) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 200))
  assert.ok(
    hosts.some(({ counter }) => counter.puts > 0),
    `no put of the daemon's records reached a peer within ${FIRST_PUT_TIMEOUT_MS} ms`,
  )
  // each peer takes up a protocol, as an app update or a DHT switching to server mode does:
  // libp2p tells its connected peers by identify-push, a peer:identify at the daemon each
  for (const { host } of hosts)
    await host.handle(EXTRA_PROTOCOL, (stream) => stream.abort(new Error('unused')))
  await new Promise((resolve) => setTimeout(resolve, AFTER_MS))
  const counts = hosts.map(({ counter }) => counter.puts)
  t.diagnostic(`put attempts per peer: ${counts.join(', ')}`)
  for (const count of counts)
    assert.ok(
      count <= RECORDS * MAX_PUTS_PER_RECORD,
      `a peer was asked to store ${count} records (per peer: ${counts.join(', ')}); at most ${RECORDS * MAX_PUTS_PER_RECORD} expected`,
    )
})
