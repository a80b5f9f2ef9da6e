/**
 * A peer that floods /wren/prekey gets at most the documented per-peer limit of one-time
 * prekeys (node/src/messaging/claim-limiter.ts) — most of its claims are refused before that by
 * the per-peer request guard, which then disconnects and refuses it — the keystore is not rewritten, the profile
 * store stays bounded, and a normal first contact still gets a one-time prekey. Real daemon as a
 * process; the claimers are real libp2p nodes in this process.
 */
import assert from 'node:assert/strict'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import {
  PREKEY_CLAIM_PEER_BURST,
  PREKEY_CLAIM_PEER_INTERVAL_MS,
} from '../node/src/messaging/claim-limiter.ts'
import { decodePrekeyResponse, MAX_PREKEY_RESPONSE_BYTES } from '../node/src/messaging/content.ts'
import { WREN_PREKEY_PROTOCOL } from '../node/src/p2p/constants.ts'
import { sendRequest } from '../node/src/p2p/request-response.ts'
import { startPeer } from './fixtures/chat.ts'
import { startTestNode, stopTestNodes, type TestNode } from './fixtures/libp2p.ts'

const CLAIMS = 10_000
/** Claims in flight at once from the flooding peer (streams on one connection). */
const CONCURRENCY = 16
/** Bound on one claim: loopback answers in milliseconds. */
const CLAIM_TIMEOUT_MS = 5_000
/** libp2p's window for its 5-inbound-connections-per-second-per-address limit, with a margin. */
const INBOUND_RATE_WINDOW_MS = 1_500
/** What 10,000 refused claims may add to the profile database: they write nothing at all. */
const MAX_STORE_GROWTH_BYTES = 256 * 1024

async function dirBytes(dir: string): Promise<number> {
  let total = 0
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    total += entry.isDirectory() ? await dirBytes(path) : (await stat(path)).size
  }
  return total
}

/**
 * One claim: 'granted' when it carried a one-time prekey pair, 'empty' when answered without one,
 * 'refused' when the daemon's per-peer guard turned it away (stream reset, or the flooder
 * disconnected and refused: node/src/p2p/peer-guard.ts).
 */
async function claim(
  node: TestNode,
  target: ReturnType<typeof multiaddr>[],
): Promise<'granted' | 'empty' | 'refused'> {
  const result = await sendRequest(node, target, WREN_PREKEY_PROTOCOL, new Uint8Array(0), {
    timeoutMs: CLAIM_TIMEOUT_MS,
    maxResponseBytes: MAX_PREKEY_RESPONSE_BYTES,
  })
  if (!result.ok) {
    if (result.reason === 'timeout') throw new Error(`claim timed out: ${result.detail}`)
    return 'refused'
  }
  const pair = decodePrekeyResponse(result.response)
  return pair.oneTimePrekey.length > 0 && pair.oneTimeKemPrekey.length > 0 ? 'granted' : 'empty'
}

describe('one-time prekey handout over /wren/prekey', () => {
  test(`${CLAIMS} claims from one peer hand out at most the per-peer limit; keystore and store stay bounded; a new contact still gets one`, async () => {
    const alice = await startPeer('Alice')
    const nodes: TestNode[] = []
    try {
      const status = await alice.client.call('node.status', {})
      const target = status.listenAddrs
        .filter((a) => a.includes('/tcp/') && !a.includes('/ws'))
        .map((a) => multiaddr(a))
      const profileDir = join(alice.home, alice.daemon.profile)
      const keystore = join(profileDir, 'keystore.json')
      const keystoreBefore = await stat(keystore)
      const storeBefore = await dirBytes(join(profileDir, 'db'))

      const flooder = await startTestNode()
      nodes.push(flooder)
      const started = Date.now()
      const outcomes = { granted: 0, empty: 0, refused: 0 }
      let next = 0
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < CLAIMS) {
            next++
            outcomes[await claim(flooder, target)]++
          }
        }),
      )
      const granted = outcomes.granted
      assert.ok(outcomes.refused > 0, 'the per-peer guard turns the flood away')
      const elapsed = Date.now() - started
      const limit = PREKEY_CLAIM_PEER_BURST + Math.floor(elapsed / PREKEY_CLAIM_PEER_INTERVAL_MS)
      assert.ok(granted >= 1, 'the first claims of a peer are served')
      assert.ok(granted <= limit, `${granted} one-time prekeys handed out; the limit is ${limit}`)

      const keystoreAfter = await stat(keystore)
      assert.equal(
        keystoreAfter.size,
        keystoreBefore.size,
        'the keystore is not rewritten for one-time prekeys',
      )
      assert.equal(
        keystoreAfter.mtimeMs,
        keystoreBefore.mtimeMs,
        'the keystore is not rewritten for one-time prekeys',
      )
      const storeAfter = await dirBytes(join(profileDir, 'db'))
      assert.ok(
        storeAfter - storeBefore <= MAX_STORE_GROWTH_BYTES,
        `profile store grew by ${storeAfter - storeBefore} B`,
      )

      // the refused flooder kept dialling from this address: libp2p admits 5 inbound connections
      // per second from one address, so the newcomer (on the same loopback address) waits that out
      await flooder.stop()
      await new Promise((r) => setTimeout(r, INBOUND_RATE_WINDOW_MS))
      const newcomer = await startTestNode()
      nodes.push(newcomer)
      const first = await claim(newcomer, target)
      assert.equal(first, 'granted', `a first contact gets a one-time prekey (got ${first})`)
      process.stdout.write(
        `# ${CLAIMS} claims in ${elapsed} ms: ${granted} granted, ${outcomes.empty} answered empty, ${outcomes.refused} refused by the guard; store ${storeBefore} → ${storeAfter} B\n`,
      )
    } finally {
      await stopTestNodes(nodes)
      await alice.stop()
    }
  })
})
