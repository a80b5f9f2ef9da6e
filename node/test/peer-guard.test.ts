/**
 * The per-peer limits' parts on an injected clock: the token bucket (core RateLimiter), the
 * denylist with expiry, and the guard that joins them (strikes, disconnect, the gater).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PeerId } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { RateLimiter } from '../../core/src/rate-limiter.ts'
import { MALFORMED_STRIKE, PEER_STRIKE_LIMIT } from '../src/p2p/constants.ts'
import { Denylist } from '../src/p2p/denylist.ts'
import { PeerGuard } from '../src/p2p/peer-guard.ts'

async function newPeer(): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

describe('token bucket on an injected clock', () => {
  it('lets a burst through, refuses the next, and refills at the rate', () => {
    let now = 0
    const bucket = new RateLimiter({ burst: 3, ratePerSecond: 2, clock: () => now })
    for (let i = 0; i < 3; i++) assert.equal(bucket.take('p').allowed, true)
    const refused = bucket.take('p')
    assert.deepEqual(refused, { allowed: false, retryAfterMs: 500 })
    now += 499
    assert.equal(bucket.take('p').allowed, false)
    now += 1
    assert.equal(bucket.take('p').allowed, true)
    assert.equal(bucket.available('q'), 3, 'another key has its own full bucket')
    now += 10_000
    assert.equal(bucket.available('p'), 3, 'never more than the burst')
  })
})

describe('denylist on an injected clock', () => {
  it('refuses a peer until its entry expires, then lets it back', () => {
    let now = 1_000
    const list = new Denylist({ clock: () => now, durationMs: 60_000, maxPeers: 10 })
    list.deny('a')
    assert.equal(list.has('a'), true)
    assert.equal(list.has('b'), false)
    assert.equal(list.remainingMs('a'), 60_000)
    now += 59_999
    assert.equal(list.has('a'), true)
    now += 1
    assert.equal(list.has('a'), false)
    assert.equal(list.size, 0)
  })

  it('denying again extends the entry', () => {
    let now = 0
    const list = new Denylist({ clock: () => now, durationMs: 100, maxPeers: 10 })
    list.deny('a')
    now = 90
    list.deny('a')
    now = 150
    assert.equal(list.has('a'), true)
    now = 190
    assert.equal(list.has('a'), false)
  })

  it('keeps at most maxPeers, dropping the entry closest to expiry', () => {
    let now = 0
    const list = new Denylist({ clock: () => now, durationMs: 1_000, maxPeers: 2 })
    list.deny('a')
    now = 1
    list.deny('b')
    now = 2
    list.deny('c')
    assert.equal(list.size, 2)
    assert.equal(list.has('a'), false)
    assert.equal(list.has('b'), true)
    assert.equal(list.has('c'), true)
  })
})

describe('peer guard', () => {
  it('throttles a peer over its limit, then disconnects and refuses it until the denial expires', async () => {
    let now = 0
    const hungUp: string[] = []
    const guard = new PeerGuard({ clock: () => now, denyDurationMs: 60_000 })
    guard.attach(async (peer) => {
      hungUp.push(peer.toString())
    })
    guard.limit('/p', { burst: 5, ratePerSecond: 1 })
    const flooder = await newPeer()
    const contact = await newPeer()
    let admitted = 0
    for (let i = 0; i < 5 + PEER_STRIKE_LIMIT.burst + 1; i++) if (guard.admit('/p', flooder)) admitted++
    assert.equal(admitted, 5, 'only the burst got through')
    assert.deepEqual(hungUp, [flooder.toString()], 'disconnected once its strikes ran out')
    assert.equal(guard.denied(flooder), true)
    // another peer is untouched by the flooder
    assert.equal(guard.admit('/p', contact), true)
    // refused while denied, by the handler and by the gater
    assert.equal(guard.admit('/p', flooder), false)
    const gater = guard.gater()
    assert.equal(await gater.denyInboundEncryptedConnection?.(flooder, {} as never), true)
    assert.equal(await gater.denyDialPeer?.(flooder), true)
    assert.equal(await gater.denyInboundEncryptedConnection?.(contact, {} as never), false)
    const stats = guard.stats()
    const p = stats.protocols.find((x) => x.protocol === '/p')
    assert.equal(p?.throttled, PEER_STRIKE_LIMIT.burst + 1)
    assert.equal(p?.disconnected, 1)
    assert.equal(p?.refused, 1)
    assert.equal(stats.deniedPeers, 1)
    assert.equal(stats.refusedConnections, 2)
    // let back after the denial, with a full bucket and a clean record
    now += 60_000
    assert.equal(guard.denied(flooder), false)
    assert.equal(guard.admit('/p', flooder), true)
  })

  it('a peer brushing its limit now and then is never disconnected', async () => {
    let now = 0
    const guard = new PeerGuard({ clock: () => now })
    guard.limit('/p', { burst: 2, ratePerSecond: 2 })
    const peer = await newPeer()
    // 3 requests every second for ten minutes: one refused each second, forgiven at 2 strikes/s
    for (let s = 0; s < 600; s++) {
      for (let i = 0; i < 3; i++) guard.admit('/p', peer)
      now += 1_000
    }
    assert.equal(guard.denied(peer), false)
    assert.equal(guard.stats().protocols[0]?.throttled, 600)
  })

  it('malformed frames cost more: a few of them get a peer refused', async () => {
    const guard = new PeerGuard({ clock: () => 0 })
    const peer = await newPeer()
    const allowed = Math.floor(PEER_STRIKE_LIMIT.burst / MALFORMED_STRIKE)
    for (let i = 0; i < allowed; i++) guard.malformed('/p', peer)
    assert.equal(guard.denied(peer), false)
    guard.malformed('/p', peer)
    assert.equal(guard.denied(peer), true)
    // frames that were in flight when it was refused count, but do not disconnect it again
    for (let i = 0; i < allowed + 1; i++) guard.malformed('/p', peer)
    assert.equal(guard.stats().protocols[0]?.malformed, 2 * (allowed + 1))
    assert.equal(guard.stats().protocols[0]?.disconnected, 1)
  })

  it("the caller's gater still decides for peers the guard allows", async () => {
    const guard = new PeerGuard({ clock: () => 0 })
    const blocked = await newPeer()
    const gater = guard.gater({ denyDialPeer: (peer) => peer.equals(blocked) })
    assert.equal(await gater.denyDialPeer?.(blocked), true)
    assert.equal(await gater.denyDialPeer?.(await newPeer()), false)
  })
})
