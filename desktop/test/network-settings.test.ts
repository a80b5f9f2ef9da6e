import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  formatAddrList,
  MAX_NETWORK_PEERS,
  needsRestart,
  parseAddrList,
} from '../src/logic/network-settings.ts'

const A = '/ip4/10.0.0.1/tcp/4001/p2p/12D3KooWA'
const B = '/dns4/relay.example/tcp/443/wss/p2p/12D3KooWB'

test('address lists: lines are trimmed, blanks and # comments skipped, duplicates dropped', () => {
  assert.deepEqual(parseAddrList(`  ${A}  \n\n# my relay\r\n${B}\n${A}\n`), { ok: true, addrs: [A, B] })
  assert.deepEqual(parseAddrList(''), { ok: true, addrs: [] })
})

test('address lists: a line that is not a multiaddr is reported by its line number', () => {
  const parsed = parseAddrList(`${A}\nrelay.example:443`)
  assert.equal(parsed.ok, false)
  assert.match(parsed.ok ? '' : parsed.error, /Line 2/)
  assert.equal(parseAddrList('/ip4/1.2.3.4 /tcp/1').ok, false)
})

test('address lists: more than the daemon cap is refused before sending', () => {
  const many = Array.from({ length: MAX_NETWORK_PEERS + 1 }, (_, i) => `/ip4/10.0.0.${i}/tcp/1/p2p/x`)
  assert.equal(parseAddrList(many.join('\n')).ok, false)
  assert.equal(parseAddrList(many.slice(1).join('\n')).ok, true)
})

test('address lists round-trip through the text form, and a saved address not in use means restart', () => {
  assert.deepEqual(parseAddrList(formatAddrList([A, B])), { ok: true, addrs: [A, B] })
  assert.equal(needsRestart([A], [A, B]), false)
  assert.equal(needsRestart([A, B], [A]), true)
})
