/**
 * Scenario d of issue 11: the recipient is offline behind a home NAT. Alice and Bob (each behind
 * a home router doing nftables masquerade) keep mailboxes on one public relay and have exchanged
 * cards; Bob stops his daemon (Ctrl-C), Alice sends three messages, which are stored at Bob's
 * mailbox on the relay; Bob starts his daemon again with the same command and unlocks: the three
 * arrive in the order sent, from the mailbox, and Alice sees them delivered.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { netnsOrSkip, PUBLIC_SUBNET, Topology } from './fixtures/netns.ts'
import { NetnsUser, pollUntil, startRelayIn } from './fixtures/netns-wren.ts'

/** Bound on a daemon getting a reservation and a mailbox on the relay. */
const RELAY_READY_MS = 20_000
/**
 * Bound on a message to an offline contact being stored at its mailboxes: without a session yet,
 * the first attempt includes the device dial bound (DEVICE_DIAL_TIMEOUT_MS, 15 s) and a DHT
 * lookup (BUNDLE_LOOKUP_TIMEOUT_MS, 10 s) before the deposit.
 */
const STORED_MS = 45_000
/** Bound on the stored messages reaching Bob after he is back (a mailbox fetch at start). */
const FETCH_MS = 20_000
/**
 * Bound on Bob's delivery receipts reaching Alice: they may travel through her mailbox; the relay
 * announces new mail to her (MAILBOX_NOTIFY_PROTOCOL), and should that be lost she fetches every
 * MAILBOX_FETCH_INTERVAL_MS (30 s), so one fetch period plus margin.
 */
const RECEIPT_MS = 45_000

const TEXTS = ['one, while you were away', 'two, while you were away', 'three, while you were away']

test('recipient offline behind a NAT: messages stored at the relay mailbox arrive in order when he is back', async (t) => {
  if (!(await netnsOrSkip(t))) return
  const topo = new Topology('offline')
  const cleanups: Array<() => Promise<void>> = []
  t.after(async () => {
    await topo.destroy()
    await Promise.all(cleanups.map((c) => c()))
  })
  const internet = await topo.switch('internet', PUBLIC_SUBNET)
  const relayNs = await topo.host('relay')
  const relayIp = await internet.attach(relayNs)
  const homeA = await topo.homeRouter('routera', internet, '192.168.1.0/24')
  const homeB = await topo.homeRouter('routerb', internet, '192.168.2.0/24')
  const alice = await NetnsUser.create(await topo.host('alice'), 'Alice')
  cleanups.push(() => alice.cleanup())
  const bob = await NetnsUser.create(await topo.host('bob'), 'Bob')
  cleanups.push(() => bob.cleanup())
  await homeA.lan.attach(alice.ns)
  await homeB.lan.attach(bob.ns)
  const relay = await startRelayIn(relayNs, relayIp)
  cleanups.push(() => relay.cleanup())
  const daemonArgs = ['--relay', relay.addr]

  try {
    await Promise.all([alice.startDaemon(daemonArgs), bob.startDaemon(daemonArgs)])
    await Promise.all([alice.init(), bob.init()])
    for (const u of [alice, bob]) {
      await pollUntil(
        `${u.name} holds a reservation and a mailbox on the relay`,
        RELAY_READY_MS,
        async () => {
          const s = await u.status()
          return (s.relays as number) >= 1 && (s.mailboxes as number) >= 1 ? true : undefined
        },
        () => u.diagnose(),
      )
    }
    await alice.add(await bob.card())
    await bob.add(await alice.card())
    // Bob has been online long enough for his bundle to be out (what a contact who cannot reach
    // him needs to start a session): his status says it is published in a DHT
    await pollUntil(
      'Bob’s bundle is published',
      RELAY_READY_MS,
      async () => {
        const s = await bob.status()
        const dht = (s.network as { dht: Record<string, { bundle: string }> } | null)?.dht
        return dht?.lan?.bundle === 'published' || dht?.wan?.bundle === 'published' ? true : undefined
      },
      () => bob.diagnose(),
    )

    // Bob goes offline (Ctrl-C on `wren daemon`)
    await bob.stopDaemon()

    const sent = []
    for (const text of TEXTS) {
      sent.push(await alice.send('Bob', text))
      await alice.waitForMessage('Bob', text, STORED_MS, (m) => m.status === 'stored')
    }

    // Bob is back: the same command, then unlock
    await bob.startDaemon(daemonArgs)
    await bob.watchReceived()
    await bob.unlock()
    const atBob = await pollUntil(
      'Bob has all three messages',
      FETCH_MS,
      async () => {
        const incoming = (await bob.history('Alice')).filter((m) => m.direction === 'in')
        return incoming.length >= TEXTS.length ? incoming : undefined
      },
      () => bob.diagnose('Alice'),
    )
    assert.deepEqual(
      atBob.map((m) => m.text),
      TEXTS,
      'in the order sent, each once',
    )
    const seqs = atBob.map((m) => m.seq)
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
    )
    const vias = sent.map((m) => bob.received().find((r) => r.id === m.id)?.via ?? 'not seen by the watcher')
    t.diagnostic(`paths at Bob: ${vias.join(', ')}`)
    assert.deepEqual(vias, ['mailbox', 'mailbox', 'mailbox'])

    for (const text of TEXTS) await alice.waitDelivered('Bob', text, RECEIPT_MS)
  } catch (error) {
    t.diagnostic(
      `${await alice.diagnose('Bob')}\n${await bob.diagnose('Alice')}\n--- relay log:\n${relay.proc
        .stderr()
        .split('\n')
        .slice(-30)
        .join('\n')}`,
    )
    throw error
  }
})
