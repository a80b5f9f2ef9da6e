/**
 * The bootstrap dialer keeps dialling while the node has no connection at all (started offline,
 * or lost every connection), and stops once one is open: real libp2p nodes on 127.0.0.1 with a
 * gater standing in for the network going away and coming back.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { ConnectionGater } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { startTestNode, waitFor } from '../../test/fixtures/libp2p.ts'
import { bootstrapDialer } from '../src/p2p/bootstrap.ts'

/** A short pause between re-dials so several happen within the wait. */
const TEST_REDIAL_MS = 50
/** Re-dials seen while offline before the network comes back: more than one proves repetition. */
const REDIALS_WHILE_OFFLINE = 3
/** The bare node under test listens on loopback only. */
const LOOPBACK_TCP_LISTEN = '/ip4/127.0.0.1/tcp/0'

test('while cut off the bootstrap list is dialled again and again, and the first dial that gets through reconnects', async () => {
  const bootstrapPeer = await startTestNode()
  let offline = true
  let refusedDials = 0
  const gater: ConnectionGater = {
    denyDialMultiaddr: async () => {
      if (offline) refusedDials++
      return offline
    },
  }
  const node = await createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    addresses: { listen: [LOOPBACK_TCP_LISTEN] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: gater,
    services: {
      bootstrap: bootstrapDialer({
        list: bootstrapPeer.getMultiaddrs().map((a) => a.toString()),
        redialMs: TEST_REDIAL_MS,
      }),
    },
  })
  try {
    // started with no network: the first dial fails, and nothing else will ever dial
    await waitFor(() => refusedDials >= REDIALS_WHILE_OFFLINE, 'repeated dials while offline')
    offline = false
    await waitFor(() => node.getConnections().length > 0, 'a connection once the network is back')

    // every connection is lost: the dialling starts again and ends with a connection
    offline = true
    const before = refusedDials
    await Promise.all(node.getConnections().map((c) => c.close()))
    await waitFor(() => refusedDials >= before + REDIALS_WHILE_OFFLINE, 'repeated dials after the loss')
    offline = false
    await waitFor(() => node.getConnections().length > 0, 'a connection after the second outage')
    assert.ok(node.getConnections(bootstrapPeer.peerId).length > 0, 'connected to the bootstrap peer')
  } finally {
    await node.stop()
    await bootstrapPeer.stop()
  }
})
