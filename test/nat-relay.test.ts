/**
 * NAT traversal end to end: two real daemons with no listen addresses of their own (only
 * `/p2p-circuit`) reserve a slot on a real relay, advertise the relayed
 * addresses on their cards, publish their prekey bundles to the relay's DHT, and chat.
 *
 * How the bytes travel is read from each daemon's connection log (`DEBUG=wren:p2p:connections`,
 * written by node/src/p2p/connection-log.ts), and the relay's reservation table is read from the
 * in-process relay.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { decodeContactCard } from '../core/src/contact-card.ts'
import { CONNECTION_LOG_NAMESPACE } from '../node/src/p2p/connection-log.ts'
import type { MessageVia } from '../node/src/rpc/api.ts'
import { type ChatPeer, eventually, startPeer, waitForEvent } from './fixtures/chat.ts'
import { startTestRelay, type TestRelay } from './fixtures/relay.ts'

/** Bound on a relay reservation showing up in a daemon's addresses: loopback needs well under 1 s. */
const RESERVATION_TIMEOUT_MS = 10_000
/** Bound on one message crossing the relay (bundle lookup, session setup, dial, delivery). */
const MESSAGE_TIMEOUT_MS = 20_000

interface ConnectionLine {
  event: 'open' | 'close'
  peer: string
  path: string
  direction: string
  addr: string
}

/** Connection log lines of a daemon (the debug logger prefixes a time and the namespace). */
function connectionLines(peer: ChatPeer): ConnectionLine[] {
  const pattern = /connection (open|close) peer=(\S+) path=(\S+) direction=(\S+) addr=(\S+)/
  return peer.daemon.logs.flatMap((line) => {
    if (!line.includes(CONNECTION_LOG_NAMESPACE)) return []
    const m = pattern.exec(line)
    return m === null
      ? []
      : [
          {
            event: m[1] as 'open' | 'close',
            peer: m[2],
            path: m[3],
            direction: m[4],
            addr: m[5],
          } as ConnectionLine,
        ]
  })
}

async function peerIdOf(peer: ChatPeer): Promise<string> {
  const status = await peer.client.call('node.status', {})
  assert.ok(status.peerId !== null)
  return status.peerId
}

/** A daemon that may only be reached through the relay: bootstraps to it and listens on nothing else. */
async function startNattedPeer(name: string, relay: TestRelay, listen: string[]): Promise<ChatPeer> {
  return startPeer(name, {
    args: [
      ...relay.multiaddrs.flatMap((a) => ['--bootstrap', a.toString()]),
      ...listen.flatMap((a) => ['--listen', a]),
      '--retry-max-ms',
      '1000',
    ],
    env: { DEBUG: CONNECTION_LOG_NAMESPACE },
  })
}

/** Wait until the daemon advertises relayed addresses (its reservation), then return its fresh card. */
async function cardWithReservation(peer: ChatPeer, relay: TestRelay): Promise<string> {
  const relayId = relay.peerId.toString()
  const addrs = await eventually(
    `${peer.userId} to advertise its relay reservation`,
    async () => {
      const status = await peer.client.call('node.status', {})
      const circuit = status.listenAddrs.filter((a) => a.includes(`/p2p/${relayId}/p2p-circuit`))
      return circuit.length > 0 ? status.listenAddrs : undefined
    },
    RESERVATION_TIMEOUT_MS,
  )
  // no address of its own: everything it advertises goes through the relay
  for (const a of addrs) assert.match(a, new RegExp(`/p2p/${relayId}/p2p-circuit`), `${a} is not relayed`)
  const { card } = await peer.client.call('identity.get', {})
  const cardAddrs = decodeContactCard(card).addrs.map((bytes) => multiaddr(bytes).toString())
  assert.ok(cardAddrs.length > 0, 'the card carries addresses')
  for (const a of cardAddrs) assert.match(a, /\/p2p-circuit/, `card address ${a} is not relayed`)
  return card
}

/**
 * alice → bob (until alice sees it delivered), then bob → alice; every wait bounded. With
 * `via`, both messages must have come that way (message.received's path).
 */
async function exchangeMessages(
  alice: ChatPeer,
  bob: ChatPeer,
  tag: string,
  via?: MessageVia,
): Promise<void> {
  const delivered = new Set<string>()
  const off = await alice.client.on('message.status', (p) => {
    if (p.status === 'delivered') delivered.add(p.messageId)
  })
  try {
    const toBob = `${tag}: hello bob`
    const bobGot = waitForEvent(
      bob.client,
      'message.received',
      (p) => p.message.text === toBob,
      MESSAGE_TIMEOUT_MS,
    )
    const sent = await alice.client.call('messages.send', { conversationId: `dm:${bob.userId}`, text: toBob })
    const got = await bobGot
    assert.equal(got.message.sender, alice.userId)
    if (via !== undefined) assert.equal(got.via, via, `${tag}: path of alice's message`)
    await eventually(
      `${tag} delivered to bob`,
      async () => (delivered.has(sent.message.id) ? true : undefined),
      MESSAGE_TIMEOUT_MS,
    )
  } finally {
    off()
  }
  const toAlice = `${tag}: hi alice`
  const aliceGot = waitForEvent(
    alice.client,
    'message.received',
    (p) => p.message.text === toAlice,
    MESSAGE_TIMEOUT_MS,
  )
  await bob.client.call('messages.send', { conversationId: `dm:${alice.userId}`, text: toAlice })
  const got = await aliceGot
  assert.equal(got.message.sender, bob.userId)
  if (via !== undefined) assert.equal(got.via, via, `${tag}: path of bob's message`)
}

describe('daemons that cannot dial each other directly chat through a relay reservation', () => {
  let relay: TestRelay
  before(async () => {
    relay = await startTestRelay()
  })
  after(async () => {
    await relay?.stop()
  })

  test('with only /p2p-circuit listen addresses, messages flow both ways over the limited relayed connection', async () => {
    const peers: ChatPeer[] = []
    try {
      const alice = await startNattedPeer('Alice', relay, ['/p2p-circuit'])
      peers.push(alice)
      const bob = await startNattedPeer('Bob', relay, ['/p2p-circuit'])
      peers.push(bob)
      const [aliceCard, bobCard] = await Promise.all([
        cardWithReservation(alice, relay),
        cardWithReservation(bob, relay),
      ])
      const [aliceId, bobId] = await Promise.all([peerIdOf(alice), peerIdOf(bob)])
      const reservations = relay.handle?.libp2p.services.relay.reservations
      assert.ok(reservations !== undefined)
      const reserved = [...reservations.keys()].map((p) => p.toString())
      assert.ok(
        reserved.includes(aliceId) && reserved.includes(bobId),
        'both hold a reservation on the relay',
      )

      await alice.client.call('contacts.add', { card: bobCard })
      await bob.client.call('contacts.add', { card: aliceCard })
      await exchangeMessages(alice, bob, 'relayed')
      // the circuit is open now: these go over it, not through a mailbox
      for (let i = 0; i < 3; i++) await exchangeMessages(alice, bob, `relayed ${i}`, 'relayed')

      const aliceToBob = connectionLines(alice).filter((l) => l.event === 'open' && l.peer === bobId)
      const bobToAlice = connectionLines(bob).filter((l) => l.event === 'open' && l.peer === aliceId)
      assert.ok(aliceToBob.length > 0, 'alice logged a connection to bob')
      assert.ok(bobToAlice.length > 0, 'bob logged a connection to alice')
      // an open relayed connection is reused: not one circuit per message (at most one per side)
      assert.ok(
        aliceToBob.length <= 2,
        `alice opened ${aliceToBob.length} connections to bob: ${JSON.stringify(
          connectionLines(alice)
            .filter((l) => l.peer === bobId)
            .map((l) => `${l.event} ${l.direction} ${l.addr.slice(16, 30)}`),
        )}`,
      )
      for (const line of [...aliceToBob, ...bobToAlice]) {
        assert.equal(line.path, 'relayed', `connection ${line.addr} is relayed`)
        assert.match(line.addr, new RegExp(`/p2p/${relay.peerId}/p2p-circuit/`))
      }
    } finally {
      await Promise.allSettled(peers.map((p) => p.stop()))
    }
  })
})
