import assert from 'node:assert/strict'
import { test } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { cardAddrs } from '../src/p2p/card-addrs.ts'

const RELAY = '12D3KooWQB3HsNSKeDKXyURkacbUWLQ9gfMxoipde82J13QbQcPM'
const SELF = '12D3KooWGgtHURxjCvDRqCfcYvx6x3Y1TYpvUcX5adTDABhvdo3n'

test('relayed addresses stay on the card when many direct addresses come first', () => {
  const direct = Array.from({ length: 10 }, (_, i) => multiaddr(`/ip4/10.0.0.${i + 1}/tcp/4001/p2p/${SELF}`))
  const circuit = multiaddr(`/ip4/203.0.113.5/tcp/4001/p2p/${RELAY}/p2p-circuit/p2p/${SELF}`)
  const webrtc = multiaddr(`/ip4/203.0.113.5/tcp/4001/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${SELF}`)
  const picked = cardAddrs([...direct, circuit, webrtc], 8).map((a) => a.toString())
  assert.equal(picked.length, 8)
  assert.ok(picked.includes(`/ip4/203.0.113.5/tcp/4001/p2p/${RELAY}/p2p-circuit`))
  assert.ok(picked.includes(`/ip4/203.0.113.5/tcp/4001/p2p/${RELAY}/p2p-circuit/webrtc`))
  assert.equal(picked.filter((a) => a.startsWith('/ip4/10.')).length, 6)
})

test('our own /p2p suffix is dropped, the relay id is kept, duplicates are removed', () => {
  const picked = cardAddrs(
    [
      multiaddr(`/ip4/127.0.0.1/tcp/1/p2p/${RELAY}/p2p-circuit/p2p/${SELF}`),
      multiaddr(`/ip4/127.0.0.1/tcp/1/p2p/${RELAY}/p2p-circuit`),
      multiaddr('/ip4/127.0.0.1/tcp/2'),
    ],
    8,
  ).map((a) => a.toString())
  assert.deepEqual(picked, [`/ip4/127.0.0.1/tcp/1/p2p/${RELAY}/p2p-circuit`, '/ip4/127.0.0.1/tcp/2'])
})

test('max bounds the list and an empty list gives an empty card list', () => {
  assert.deepEqual(cardAddrs([], 8), [])
  const many = Array.from({ length: 5 }, (_, i) => multiaddr(`/ip4/10.0.0.${i + 1}/tcp/1`))
  assert.equal(cardAddrs(many, 3).length, 3)
  assert.equal(cardAddrs(many, 0).length, 0)
})
