/**
 * What `wren doctor`'s DHT check says for each network situation (dhtCheck over a report; the
 * netns scenario test/network-doctor.test.ts runs the whole doctor against a real relay).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type DhtState, dhtCheck, type RelayState } from '../src/app/network-report.ts'

const dht = (peers: number, mode: DhtState['mode'] = 'client'): DhtState => ({
  peers,
  mode,
  bundle: 'pending',
})
const relay = (connected: boolean): RelayState => ({
  addr: '/ip4/11.77.0.1/tcp/4001/p2p/12D3KooWAN5rk762a8jwctACWxwcopapjHmAXDjHY45sMdFDvPbU',
  peerId: '12D3KooWAN5rk762a8jwctACWxwcopapjHmAXDjHY45sMdFDvPbU',
  connected,
  reservation: connected,
  mailbox: connected,
})

test('a connected relay that is not in the WAN DHT: warn, and say the relay must announce its address', () => {
  const c = dhtCheck({ dht: { lan: dht(1, 'server'), wan: dht(0) }, relays: [relay(true)] })
  assert.equal(c.status, 'warn')
  assert.match(c.advice ?? '', /does not announce a public address yet/)
  assert.match(c.advice ?? '', /"announce"/)
})

test('a relay in the WAN DHT: ok, nothing to do', () => {
  const c = dhtCheck({ dht: { lan: dht(0, 'server'), wan: dht(1) }, relays: [relay(true)] })
  assert.equal(c.status, 'ok')
  assert.equal(c.advice, null)
  assert.match(c.summary, /1 on the WAN DHT \(client\)/)
})

test('no DHT peer and no relay: warn, and say how to get one', () => {
  const c = dhtCheck({ dht: { lan: dht(0, 'server'), wan: dht(0) }, relays: [] })
  assert.equal(c.status, 'warn')
  assert.match(c.advice ?? '', /connect to a relay/)
})

test('LAN peers only, the relay not connected (the relays check reports that): the DHT check is ok', () => {
  const c = dhtCheck({ dht: { lan: dht(2, 'server'), wan: dht(0) }, relays: [relay(false)] })
  assert.equal(c.status, 'ok')
})
