import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { after, before, describe, test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { decodeContactCard } from '../core/src/contact-card.ts'
import { RpcError } from '../node/src/rpc/errors.ts'
import { type ChatPeer, startPeer, TEST_PASSPHRASE } from './fixtures/chat.ts'
import { type SpawnedDaemon, spawnDaemon } from './fixtures/daemon.ts'

/** A /p2p/ address on a closed loopback port: valid, and a dial to it fails at once. */
async function closedAddr(): Promise<string> {
  const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  return `/ip4/127.0.0.1/tcp/9/p2p/${peer.toString()}`
}

describe('settings over RPC with a real daemon', () => {
  let alice: ChatPeer
  let restarted: SpawnedDaemon | undefined

  before(async () => {
    alice = await startPeer('Alice')
  })
  after(async () => {
    await restarted?.stop()
    await alice?.stop()
    if (alice) await rm(alice.home, { recursive: true, force: true })
  })

  test('settings.set displayName: identity.get shows the new name and its card carries it', async () => {
    const before = await alice.client.call('identity.get', {})
    const settings = await alice.client.call('settings.set', { displayName: '  Alice K  ' })
    assert.equal(settings.displayName, 'Alice K')
    const after = await alice.client.call('identity.get', {})
    assert.equal(after.displayName, 'Alice K')
    assert.notEqual(after.card, before.card)
    assert.equal(decodeContactCard(after.card).displayName, 'Alice K')
    const { card } = await alice.client.call('identity.card', {})
    assert.equal(decodeContactCard(card).displayName, 'Alice K')
  })

  test('a relay without /p2p/ or a bad multiaddr is refused and nothing changes', async () => {
    const before = await alice.client.call('settings.get', {})
    for (const relays of [
      ['/ip4/127.0.0.1/tcp/9'],
      ['not a multiaddr'],
      [await closedAddr(), '/ip4/1.2.3'],
    ]) {
      await assert.rejects(
        alice.client.call('settings.set', { displayName: 'Changed', relays }),
        (e: unknown) => e instanceof RpcError && (e.data as { error?: string })?.error === 'INVALID_INPUT',
      )
    }
    await assert.rejects(
      alice.client.call('settings.set', {
        bootstrap: Array.from({ length: 17 }, () => '/ip4/1.2.3.4/tcp/1'),
      }),
      (e: unknown) => e instanceof RpcError && e.code === -32602,
    )
    assert.deepEqual(await alice.client.call('settings.get', {}), before)
    assert.equal((await alice.client.call('identity.get', {})).displayName, 'Alice K')
  })

  test('saved relays and bootstrap peers are applied after a restart on the same home', async () => {
    const relay = await closedAddr()
    const boot = await closedAddr()
    const saved = await alice.client.call('settings.set', { relays: [relay], bootstrap: [boot, boot] })
    assert.deepEqual(saved.relays, [relay])
    assert.deepEqual(saved.bootstrap, [boot])
    assert.ok(!saved.appliedRelays.includes(relay), 'network changes wait for a restart')

    await alice.daemon.stop()
    restarted = await spawnDaemon({ home: alice.home, keepHome: true })
    await restarted.client.call('identity.unlock', { passphrase: TEST_PASSPHRASE })
    const now = await restarted.client.call('settings.get', {})
    assert.ok(now.appliedRelays.includes(relay))
    assert.ok(now.appliedBootstrap.includes(boot))
    assert.deepEqual(now.relays, [relay])
    assert.equal(now.displayName, 'Alice K')
  })
})
