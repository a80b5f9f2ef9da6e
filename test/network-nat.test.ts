/**
 * Scenario c of issue 11: users behind home NATs (each in a namespace behind a router namespace
 * doing nftables masquerade), one relay on the public internet, all started with the commands a
 * user types (`wren-relay`, `wren daemon --relay <relay>`). Messages go over the relay circuit;
 * where the NATs allow it a direct connection (DCUtR, or WebRTC) takes over. Each message's path
 * (`via` on message.received) is reported.
 *
 * Two NATs of this kind (Linux conntrack: replies only from the address and port a connection was
 * opened to) with no STUN server reachable cannot be hole-punched, so the first test expects
 * every message relayed and reports whether anything went direct; the second puts one user on a
 * public address, where DCUtR must turn the relayed connection into a direct one.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { netnsOrSkip, PUBLIC_SUBNET, Topology } from './fixtures/netns.ts'
import { type NetnsRelay, NetnsUser, pollUntil, startRelayIn } from './fixtures/netns-wren.ts'

/** Bound on a daemon getting a reservation on the relay (dial, identify, reserve). */
const RESERVATION_MS = 20_000
/** Bound on one message's delivery through a relay. */
const DELIVERY_MS = 20_000
/** How long the upgrade to a direct connection may take once a relayed one is open (DCUtR). */
const UPGRADE_MS = 20_000

interface NatWorld {
  topo: Topology
  relay: NetnsRelay
  alice: NetnsUser
  bob: NetnsUser
}

/** Relay on the internet; Alice behind a home NAT; Bob behind another one, or on the internet. */
async function world(t: import('node:test').TestContext, bobBehindNat: boolean): Promise<NatWorld> {
  const topo = new Topology(bobBehindNat ? 'nat2' : 'nat1')
  const cleanups: Array<() => Promise<void>> = []
  t.after(async () => {
    await topo.destroy()
    await Promise.all(cleanups.map((c) => c()))
  })
  const internet = await topo.switch('internet', PUBLIC_SUBNET)
  const relayNs = await topo.host('relay')
  const relayIp = await internet.attach(relayNs)
  const homeA = await topo.homeRouter('routera', internet, '192.168.1.0/24')
  const alice = await NetnsUser.create(await topo.host('alice'), 'Alice')
  cleanups.push(() => alice.cleanup())
  await homeA.lan.attach(alice.ns)
  const bob = await NetnsUser.create(await topo.host('bob'), 'Bob')
  cleanups.push(() => bob.cleanup())
  if (bobBehindNat) {
    const homeB = await topo.homeRouter('routerb', internet, '192.168.2.0/24')
    await homeB.lan.attach(bob.ns)
  } else await internet.attach(bob.ns)

  const relay = await startRelayIn(relayNs, relayIp)
  cleanups.push(() => relay.cleanup())
  return { topo, relay, alice, bob }
}

/** Both daemons up with `--relay`, identities made, a reservation each, cards exchanged, watchers on. */
async function meet({ relay, alice, bob }: NatWorld): Promise<void> {
  await Promise.all([alice.startDaemon(['--relay', relay.addr]), bob.startDaemon(['--relay', relay.addr])])
  await Promise.all([alice.init(), bob.init()])
  for (const u of [alice, bob]) {
    await pollUntil(
      `${u.name} holds a reservation on the relay`,
      RESERVATION_MS,
      async () => ((await u.status()).relays as number) >= 1 || undefined,
      () => u.diagnose(),
    )
  }
  // the cards are taken after the reservation, so they carry the circuit address
  await alice.add(await bob.card())
  await bob.add(await alice.card())
  await Promise.all([alice.watchReceived(), bob.watchReceived()])
}

async function logsOnFailure(t: import('node:test').TestContext, w: NatWorld, run: () => Promise<void>) {
  try {
    await run()
  } catch (error) {
    t.diagnostic(
      `${await w.alice.diagnose('Bob')}\n${await w.bob.diagnose('Alice')}\n--- relay log:\n${w.relay.proc
        .stderr()
        .split('\n')
        .slice(-30)
        .join('\n')}`,
    )
    throw error
  }
}

test('two users behind two home NATs, one public relay: messages each way over the relay circuit; the path of each is reported', async (t) => {
  if (!(await netnsOrSkip(t))) return
  const w = await world(t, true)
  const { alice, bob } = w
  await logsOnFailure(t, w, async () => {
    await meet(w)
    const paths: string[] = []
    for (const [from, to, text] of [
      [alice, bob, 'first, alice to bob'],
      [bob, alice, 'second, bob to alice'],
      [alice, bob, 'third, alice to bob'],
    ] as const) {
      const t0 = Date.now()
      const sent = await from.send(to.name, text)
      await to.waitForMessage(from.name, text, DELIVERY_MS)
      const via = await pollUntil(`${to.name}'s watcher saw "${text}"`, DELIVERY_MS, async () =>
        to.received().find((r) => r.id === sent.id),
      )
      paths.push(`${from.name} → ${to.name} "${text}": ${via.via} after ${Date.now() - t0} ms`)
      t.diagnostic(paths.at(-1) ?? '')
      await from.waitDelivered(to.name, text, DELIVERY_MS)
      assert.ok(
        via.via === 'relayed' || via.via === 'direct',
        `a live contact behind a NAT is reached over a connection (relayed or direct), not ${via.via}`,
      )
    }
    t.diagnostic(paths.join('\n'))
    assert.match(paths[0] ?? '', /: relayed after/, 'the first message goes over the relay circuit')
  })
})

test('a user behind a home NAT and one on a public address: relayed first, then DCUtR makes the connection direct', async (t) => {
  if (!(await netnsOrSkip(t))) return
  const w = await world(t, false)
  const { alice, bob } = w
  await logsOnFailure(t, w, async () => {
    await meet(w)
    // Bob (public) cannot dial Alice's private address: he goes through her circuit address,
    // and DCUtR has Alice dial Bob back directly.
    const first = await bob.send('Alice', 'to alice behind her NAT')
    await bob.waitDelivered('Alice', 'to alice behind her NAT', DELIVERY_MS)
    const firstVia = await pollUntil('alice saw the first message', DELIVERY_MS, async () =>
      alice.received().find((r) => r.id === first.id),
    )
    t.diagnostic(`bob → alice, first message: ${firstVia.via}`)

    // later messages, sent until one arrives direct (bounded)
    const deadline = Date.now() + UPGRADE_MS
    const paths: string[] = []
    let direct = false
    for (let i = 1; !direct && Date.now() < deadline; i++) {
      const text = `after the upgrade ${i}`
      const sent = await bob.send('Alice', text)
      await bob.waitDelivered('Alice', text, DELIVERY_MS)
      const seen = await pollUntil(`alice saw "${text}"`, DELIVERY_MS, async () =>
        alice.received().find((r) => r.id === sent.id),
      )
      paths.push(`${text}: ${seen.via}`)
      direct = seen.via === 'direct'
      if (!direct) await new Promise((r) => setTimeout(r, 1_000))
    }
    t.diagnostic(paths.join('\n'))
    assert.ok(direct, `a message went over a direct connection within ${UPGRADE_MS} ms:\n${paths.join('\n')}`)
  })
})
