/**
 * `wren doctor` on the topology of scenario c: a user behind a home NAT with a relay on the
 * internet that announces its public address (as the README tells operators): it joins the
 * user's WAN DHT and the DHT check passes. (A relay without `announce` may or may not be in the
 * WAN DHT by then — AutoNAT can confirm its address within seconds — so what the doctor says in
 * that case is tested on reports in node/test/doctor-checks.test.ts.)
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

test('wren doctor behind a NAT, with a relay announcing its public address: the DHT check passes', async (t) => {
  if (!(await netnsOrSkip(t))) return
  const topo = new Topology('doctor')
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
  const relay = await startRelayIn(relayNs, relayIp)
  cleanups.push(() => relay.cleanup())

  await alice.startDaemon(['--relay', relay.addr])
  await alice.init()
  await pollUntil(
    'Alice holds a reservation',
    READY_MS,
    async () => ((await alice.status()).relays as number) >= 1 || undefined,
    () => alice.diagnose(),
  )
  const dht = await pollUntil('the DHT check passes', READY_MS, async () => {
    const c = await dhtCheck(alice)
    return c?.status === 'ok' ? c : undefined
  })
  assert.match(dht.summary, /[1-9]\d* on the WAN DHT/)
})
