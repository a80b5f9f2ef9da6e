/**
 * `wren doctor` on the topology of scenario c: a user behind a home NAT with a relay on the
 * internet. A relay that announces its public address (as the README tells operators) joins the
 * user's WAN DHT and the DHT check passes; a relay whose operator did not set `announce` is
 * connected but absent from the WAN DHT, and the doctor says so and what to do.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { netnsOrSkip, PUBLIC_SUBNET, Topology } from './fixtures/netns.ts'
import { NetnsUser, pollUntil, startRelayIn } from './fixtures/netns-wren.ts'

/** Bound on a daemon's reservation and its DHT seeing the relay. */
const READY_MS = 20_000

interface DoctorCheck {
  check: string
  status: 'ok' | 'warn' | 'fail'
  summary: string
  advice: string | null
}

async function dhtCheck(user: NetnsUser): Promise<DoctorCheck | undefined> {
  const { checks } = await user.wrenJson<{ checks: DoctorCheck[] }>(['doctor'])
  return checks.find((c) => c.check === 'dht')
}

for (const announce of [true, false]) {
  test(`wren doctor behind a NAT, relay ${announce ? 'announcing' : 'not announcing'} its public address`, async (t) => {
    if (!(await netnsOrSkip(t))) return
    const topo = new Topology(announce ? 'doc1' : 'doc2')
    const cleanups: Array<() => Promise<void>> = []
    t.after(async () => {
      await topo.destroy()
      await Promise.all(cleanups.map((c) => c()))
    })
    const internet = await topo.switch('internet', PUBLIC_SUBNET)
    const relayNs = await topo.host('relay')
    const relayIp = await internet.attach(relayNs)
    const home = await topo.homeRouter('router', internet, '192.168.1.0/24')
    const alice = await NetnsUser.create(await topo.host('alice'), 'Alice')
    cleanups.push(() => alice.cleanup())
    await home.lan.attach(alice.ns)
    const relay = await startRelayIn(relayNs, relayIp, { announce })
    cleanups.push(() => relay.cleanup())

    await alice.startDaemon(['--relay', relay.addr])
    await alice.init()
    await pollUntil(
      'Alice holds a reservation',
      READY_MS,
      async () => ((await alice.status()).relays as number) >= 1 || undefined,
      () => alice.diagnose(),
    )
    if (announce) {
      const dht = await pollUntil('the DHT check passes', READY_MS, async () => {
        const c = await dhtCheck(alice)
        return c?.status === 'ok' ? c : undefined
      })
      assert.match(dht.summary, /[1-9]\d* on the WAN DHT/)
    } else {
      const dht = await dhtCheck(alice)
      assert.equal(dht?.status, 'warn', JSON.stringify(dht))
      assert.match(dht?.summary ?? '', / 0 on the WAN DHT/)
      assert.match(dht?.advice ?? '', /does not announce a public address yet/)
      assert.match(dht?.advice ?? '', /"announce"/)
    }
  })
}
