/**
 * A relay tells an online owner that its inbox has new mail (MAILBOX_NOTIFY_PROTOCOL), so the
 * owner fetches at once instead of at its next poll (MAILBOX_FETCH_INTERVAL_MS, 30 s). Real
 * relay, real runtimes on the memory transport; a connection gater keeps Alice and Bob from
 * reaching each other, so every message goes through Bob's mailbox. Random notification frames
 * from a stranger change nothing.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import type { ConnectionGater, PeerId } from '@libp2p/interface'
import { memory } from '@libp2p/memory'
import { lpStream } from '@libp2p/utils'
import { parseContactCard } from '../../core/src/contact-card.ts'
import { MAILBOX_NOTIFY_PROTOCOL } from '../../core/src/mailbox/constants.ts'
import type { RelayHandle } from '../../relay-node/src/relay-host.ts'
import { startMemoryRelay } from '../../test/fixtures/relay.ts'
import { RuntimeUser, receivedText, statusOf } from '../../test/fixtures/runtime-user.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import type { NetworkOptions } from '../src/app/runtime.ts'
import { createNodeSuite } from '../src/crypto/node-suite.ts'
import { MAILBOX_FETCH_INTERVAL_MS } from '../src/messaging/mailboxes.ts'
import { createWrenHost } from '../src/p2p/host.ts'
import type { EventPayload } from '../src/rpc/api.ts'

const suite = createNodeSuite()
const random = seededRandom('mailbox-notify')
/** Bound on every wait: a third of the poll period, so only a notification can meet it. */
const WAIT_MS = MAILBOX_FETCH_INTERVAL_MS / 3
/** Memory listen names are process-global: the pid keeps parallel test processes apart. */
const NAME = `wren-notify-${process.pid}`
/** Random frames a stranger sends to Bob's notification handler. */
const FUZZ_FRAMES = 100

describe('new mail is announced to an online owner', () => {
  let root: string
  let relay: RelayHandle
  let alice: RuntimeUser
  let bob: RuntimeUser
  /** Peers each user must not reach (filled once both exist). */
  const apart = new Map<string, PeerId>()

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'wren-notify-'))
    const started = await startMemoryRelay(join(root, 'relay'), `${NAME}-relay`)
    relay = started.relay
    const relayAddr = started.addr
    const options = (name: string): NetworkOptions => {
      const gater: ConnectionGater = {
        denyDialPeer: async (peer) => apart.get(name)?.equals(peer) === true,
        denyInboundEncryptedConnection: async (peer) => apart.get(name)?.equals(peer) === true,
      }
      return {
        transports: [memory()],
        listen: [`/memory/${NAME}-${name}`],
        dhtClientMode: false,
        relays: [relayAddr],
        mailboxCount: 1,
        connectionGater: gater,
        retryBaseMs: 200,
        retryMaxMs: 1_000,
      }
    }
    alice = await RuntimeUser.create(root, 'alice', options('alice'), { random, waitMs: WAIT_MS })
    bob = await RuntimeUser.create(root, 'bob', options('bob'), { random, waitMs: WAIT_MS })
    apart.set('alice', bob.rt.libp2p.peerId)
    apart.set('bob', alice.rt.libp2p.peerId)
  })

  after(async () => {
    for (const user of [alice, bob]) {
      await user?.stop()
      await user?.session.close()
    }
    await relay?.stop()
    await rm(root, { recursive: true, force: true })
  })

  test('a message deposited at an online owner’s mailbox arrives long before the next poll', async () => {
    await alice.rt.messenger.addContact(parseContactCard(suite, bob.rt.card()), 'bob')
    await bob.rt.messenger.addContact(parseContactCard(suite, alice.rt.card()), 'alice')
    for (const text of ['first through the mailbox', 'second through the mailbox']) {
      const sent = await alice.rt.messenger.sendText(`dm:${bob.rt.messenger.userId}`, text)
      await alice.waitFor(`${text}: the mailbox receipt`, statusOf(sent.id, 'stored'))
      const got = await bob.waitFor(`${text}: announced and fetched`, receivedText(text))
      assert.equal((got.payload as EventPayload<'message.received'>).via, 'mailbox')
    }
    assert.equal(alice.rt.libp2p.getConnections(bob.rt.libp2p.peerId).length, 0, 'never connected')
  })

  test('random notification frames from a stranger are ignored and change nothing', async () => {
    const stranger = await createWrenHost({
      privateKey: await generateKeyPairFromSeed('Ed25519', random(32)),
      transports: [memory()],
      listen: [`/memory/${NAME}-stranger`],
      mdns: false,
    })
    try {
      const connection = await stranger.dial(bob.rt.libp2p.getMultiaddrs())
      for (let i = 0; i < FUZZ_FRAMES; i++) {
        const stream = await connection.newStream(MAILBOX_NOTIFY_PROTOCOL)
        const frame = random(Math.floor(random(1)[0] as number) % 90)
        await lpStream(stream)
          .write(frame)
          .catch(() => {})
        await stream.close().catch(() => {})
      }
    } finally {
      await stranger.stop()
    }
    const text = 'after the noise'
    const sent = await alice.rt.messenger.sendText(`dm:${bob.rt.messenger.userId}`, text)
    await alice.waitFor('the mailbox receipt', statusOf(sent.id, 'stored'))
    await bob.waitFor('still announced and fetched', receivedText(text))
  })
})
