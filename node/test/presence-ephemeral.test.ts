/**
 * The typing/presence service (node/src/presence) between two real libp2p nodes with real sealed
 * stores: a flood of genuine typing frames from a contact is rate-limited (only a burst and the
 * refill are announced, the rest ignored before decryption); replayed frames and frames from a
 * peer that is not a contact announce nothing; nothing is sent without a live connection.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { lpStream } from '@libp2p/utils'
import { EPHEMERAL_GROUP_TYPING, EPHEMERAL_TYPING } from '../../core/src/ephemeral/constants.ts'
import { ephemeralKey, sealEphemeral } from '../../core/src/ephemeral/frame.ts'
import { startTestNodes, type TestNode, waitFor } from '../../test/fixtures/libp2p.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { createNodeSuite } from '../src/crypto/node-suite.ts'
import { EPHEMERAL_BURST, EPHEMERAL_REFILL_MS, WREN_EPHEMERAL_PROTOCOL } from '../src/presence/constants.ts'
import { type ContactDevice, EphemeralService, type TypingEvent } from '../src/presence/ephemeral-service.ts'
import { SealedStore } from '../src/storage/sealed-store.ts'

const FLOOD_FRAMES = 200
/** A group alice and bob are in, and one alice is not in (bob's view of memberships). */
const GROUP_HEX = '0f'.repeat(16)
const OTHER_GROUP_HEX = 'a1'.repeat(16)
const silent = { debug() {}, info() {}, warn() {} }

describe('typing and presence frames between two nodes', () => {
  const suite = createNodeSuite(seededRandom('presence-ephemeral'))
  const random = seededRandom('presence-ephemeral-store')
  let dir: string
  let nodes: TestNode[]
  let stores: SealedStore[] = []
  let bobService: EphemeralService
  const alice = suite.ed25519Generate()
  const bob = suite.ed25519Generate()
  const typing: TypingEvent[] = []

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wren-ephemeral-'))
    nodes = await startTestNodes(3, { connect: false })
    const [aliceNode, bobNode] = nodes as [TestNode, TestNode, TestNode]
    stores = [await SealedStore.open(join(dir, 'bob'), random(32))]
    const aliceDevice: ContactDevice = {
      userId: 'alice',
      identityKey: alice.publicKey,
      devicePeerId: aliceNode.peerId.toMultihash().bytes,
    }
    bobService = new EphemeralService({
      suite,
      identity: bob,
      libp2p: bobNode,
      store: stores[0] as SealedStore,
      contactOfPeer: async (peer) => (peer === aliceNode.peerId.toString() ? aliceDevice : null),
      contact: async (id) => (id === 'alice' ? aliceDevice : null),
      contacts: async () => [aliceDevice],
      groupMembers: (g) => (g === GROUP_HEX ? ['alice'] : g === OTHER_GROUP_HEX ? ['carol'] : []),
      onTyping: (event) => typing.push(event),
      onPresence: () => {},
      now: () => Date.now(),
      log: silent,
    })
    await bobService.start()
  })
  after(async () => {
    await bobService?.stop()
    await Promise.all(nodes.map((n) => n.stop()))
    for (const store of stores) await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  /**
   * Send raw frames from `from` to bob's node as fast as one sender can: one stream each, each
   * written as soon as the previous one is (libp2p itself resets streams over its per-protocol
   * inbound limit, so frames sent all at once would partly never reach the service).
   */
  async function sendFrames(from: TestNode, frames: Uint8Array[]): Promise<void> {
    const connection = await from.dial((nodes[1] as TestNode).getMultiaddrs())
    for (const frame of frames) {
      const stream = await connection.newStream(WREN_EPHEMERAL_PROTOCOL)
      // a refused frame's stream is reset by the receiver: the flood goes on regardless
      await lpStream(stream)
        .write(frame)
        .then(() => stream.close())
        .catch(() => {})
    }
  }

  test('a flood of genuine typing frames from a contact is rate-limited: a burst is shown, the rest ignored', async () => {
    const key = ephemeralKey(
      suite,
      alice.secretKey,
      { sender: alice.publicKey, recipient: bob.publicKey },
      bob.publicKey,
    )
    const base = Date.now()
    const frames = Array.from({ length: FLOOD_FRAMES }, (_, i) =>
      sealEphemeral(suite, key, { kind: EPHEMERAL_TYPING, counter: base + i, on: true }),
    )
    const started = Date.now()
    await sendFrames(nodes[0] as TestNode, frames)
    await waitFor(
      () => typing.length + bobService.ignored >= FLOOD_FRAMES,
      'every flood frame handled',
      20_000,
    )
    const elapsed = Date.now() - started
    const allowed = EPHEMERAL_BURST + Math.ceil(elapsed / EPHEMERAL_REFILL_MS) + 1
    assert.ok(typing.length >= 1, 'the first frames are shown')
    assert.ok(
      typing.length <= allowed,
      `${typing.length} shown of ${FLOOD_FRAMES}, at most ${allowed} allowed`,
    )
    assert.ok(bobService.ignored >= FLOOD_FRAMES - allowed)
    assert.ok(typing.every((e) => e.userId === 'alice' && e.typing))

    // a replay of an accepted frame (once the bucket has refilled) is ignored too
    const shown = typing.length
    const ignored = bobService.ignored
    await new Promise((r) => setTimeout(r, EPHEMERAL_REFILL_MS * 2))
    await sendFrames(nodes[0] as TestNode, [frames[0] as Uint8Array])
    await waitFor(() => bobService.ignored > ignored, 'the replay handled')
    assert.equal(typing.length, shown)
  })

  test('a member typing in a group is shown in that group; the same frame for a group it is not in is ignored', async () => {
    const key = ephemeralKey(
      suite,
      alice.secretKey,
      { sender: alice.publicKey, recipient: bob.publicKey },
      bob.publicKey,
    )
    // let the flood's bucket refill first
    await new Promise((r) => setTimeout(r, EPHEMERAL_REFILL_MS * (EPHEMERAL_BURST + 1)))
    const shown = typing.length
    const ignored = bobService.ignored
    const counter = Date.now() * 3
    await sendFrames(nodes[0] as TestNode, [
      sealEphemeral(suite, key, {
        kind: EPHEMERAL_GROUP_TYPING,
        counter,
        on: true,
        group: Uint8Array.from(Buffer.from(OTHER_GROUP_HEX, 'hex')),
      }),
      sealEphemeral(suite, key, {
        kind: EPHEMERAL_GROUP_TYPING,
        counter: counter + 1,
        on: true,
        group: Uint8Array.from(Buffer.from(GROUP_HEX, 'hex')),
      }),
    ])
    await waitFor(() => typing.length > shown, 'the group typing shown')
    assert.equal(bobService.ignored, ignored + 1, 'the frame for the group alice is not in was ignored')
    assert.deepEqual(
      typing.slice(shown).map((e) => [e.conversationId, e.userId, e.typing]),
      [[`grp:${GROUP_HEX}`, 'alice', true]],
    )
  })

  test('frames from a peer that is not a contact announce nothing', async () => {
    const stranger = suite.ed25519Generate()
    const key = ephemeralKey(
      suite,
      stranger.secretKey,
      { sender: stranger.publicKey, recipient: bob.publicKey },
      bob.publicKey,
    )
    const shown = typing.length
    const ignored = bobService.ignored
    await sendFrames(nodes[2] as TestNode, [
      sealEphemeral(suite, key, { kind: EPHEMERAL_TYPING, counter: Date.now() * 2, on: true }),
    ])
    await waitFor(() => bobService.ignored > ignored, 'the stranger frame handled')
    assert.equal(typing.length, shown)
  })

  test('nothing is sent without a live connection', async () => {
    for (const c of (nodes[1] as TestNode).getConnections()) await c.close()
    assert.equal(await bobService.setTyping('alice', true), false)
    assert.equal(await bobService.setGroupTyping(GROUP_HEX, true), false)
  })
})
