/**
 * The relay's peer guard on an injected clock: streams open at once per connection and protocol
 * (`enter`), with an optional bucket; past the cap each stream costs a strike, and a peer out of
 * strikes is refused on every connection until its denial expires.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Connection } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { RELAY_STRIKE_LIMIT } from '../src/constants.ts'
import { RelayPeerGuard } from '../src/peer-guard.ts'

describe('relay peer guard: streams open at once', () => {
  it('refuses and strikes past the cap, frees a slot on release, counts connections apart, then refuses the peer', async () => {
    let now = 0
    const guard = new RelayPeerGuard({ clock: () => now, denyDurationMs: 1_000 })
    const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    // the guard needs a connection's id and remote peer only (libp2p's Connection carries both)
    const conn = (id: string) => ({ id, remotePeer: peer }) as unknown as Connection
    const a = conn('a')
    const open = Array.from({ length: 3 }, () => guard.enter('/p', a, 3))
    assert.ok(open.every((r) => typeof r === 'function'))
    assert.equal(guard.enter('/p', a, 3), null, 'the fourth at once is refused')
    assert.ok(typeof guard.enter('/p', conn('b'), 3) === 'function', 'another connection counts apart')
    open[1]?.()
    assert.ok(typeof guard.enter('/p', a, 3) === 'function', 'a released slot is free again')
    // with a bucket: over it the stream is refused too (throttled, not overflow)
    const limit = { burst: 1, ratePerSecond: 0 }
    assert.ok(typeof guard.enter('/q', a, 3, limit) === 'function')
    assert.equal(guard.enter('/q', a, 3, limit), null)
    const stats = guard.stats()
    assert.equal(stats.protocols.find((p) => p.protocol === '/p')?.overflow, 1)
    assert.equal(stats.protocols.find((p) => p.protocol === '/q')?.overflow, 0)
    assert.equal(stats.protocols.find((p) => p.protocol === '/q')?.throttled, 1)
    for (let i = 0; i < RELAY_STRIKE_LIMIT.burst; i++) guard.enter('/p', a, 3)
    assert.equal(guard.denied(peer), true)
    assert.equal(guard.enter('/p', conn('c'), 3), null, 'refused on any connection')
    now += 1_000
    assert.equal(guard.denied(peer), false, 'back once the denial expires')
    assert.ok(typeof guard.enter('/p', conn('c'), 3) === 'function')
  })
})
