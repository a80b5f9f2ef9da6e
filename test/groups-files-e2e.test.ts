/**
 * Files in groups between five real daemons on loopback (issue 16, "one image to a 5-member group
 * arrives at all"): the pointer rides in the Sender Key encrypted group content and every member
 * pulls the file from the sender's device (an image unasked, with its thumbnail); a member offline at send time pulls it after it comes
 * back. Only the owner knows everyone's card at first; the sender here is not the owner, so its
 * file server answers members it knows only from the group's cards. Every wait is bounded.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Attachment, Message } from '../node/src/rpc/api.ts'
import type { WrenClient } from '../node/src/rpc/client.ts'
import type { RpcError } from '../node/src/rpc/errors.ts'
import { type ChatPeer, eventually, startPeer, TEST_PASSPHRASE, waitForEvent } from './fixtures/chat.ts'
import { spawnDaemon } from './fixtures/daemon.ts'
import { seededPng } from './fixtures/png.ts'
import { seededRandom } from './fixtures/seeded-random.ts'

/** Outbox retries stay short so a returning member is served quickly. */
const RETRY_ARGS = ['--retry-max-ms', '1000']
const KIB = 1024
/** 1.5 MiB: six chunks, and a last one that is short; quick for five daemons on a busy machine. */
const FILE_BYTES = 1536 * KIB
/** Bound on a message plus its file reaching a member over loopback (seconds here; load varies). */
const ARRIVAL_TIMEOUT_MS = 60_000
/** The group image: one chunk of barely compressible pixels. */
const IMAGE_WIDTH = 240
const IMAGE_HEIGHT = 180
/** Issue 16's bound on a pointer's thumbnail. */
const MAX_THUMBNAIL_BYTES = 16 * 1024

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

async function attachmentAt(client: WrenClient, messageId: string): Promise<Attachment | undefined> {
  return client.call('attachments.get', { messageId }).catch((e: RpcError) => {
    if (e.errorName === 'NOT_FOUND') return undefined
    throw e
  })
}

describe('files in a group of five daemons', () => {
  const peers: ChatPeer[] = []
  let dir = ''
  let groupId = ''
  let conversationId = ''
  const [A, B, C, D, E] = [0, 1, 2, 3, 4]
  const p = (i: number) => peers[i] as ChatPeer

  async function history(i: number): Promise<Message[]> {
    return (await p(i).client.call('messages.list', { conversationId, limit: 100 })).messages
  }

  /** Wait until member `i` holds the file of `messageId` whole, save it and return its SHA-256. */
  async function received(i: number, messageId: string, name: string): Promise<string> {
    await eventually(
      `file of ${messageId} complete at peer ${i}`,
      async () => ((await attachmentAt(p(i).client, messageId))?.state === 'complete' ? true : undefined),
      ARRIVAL_TIMEOUT_MS,
    )
    const path = join(dir, `${name}-at-${i}`)
    const saved = await p(i).client.call('attachments.save', { messageId, path })
    assert.equal(saved.bytes, FILE_BYTES)
    return sha256(await readFile(path))
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wren-group-files-'))
    peers.push(await startPeer('Ann', { args: RETRY_ARGS }))
    const bootstrap = [...RETRY_ARGS, ...p(A).addrs.flatMap((a) => ['--bootstrap', a])]
    peers.push(
      ...(await Promise.all(['Ben', 'Cat', 'Dan', 'Eve'].map((n) => startPeer(n, { args: bootstrap })))),
    )
    const ownerCard = (await p(A).client.call('identity.get', {})).card
    // every member fetches files unasked, as a user turns it on in settings (the default asks)
    for (const peer of peers)
      await peer.client.call('attachments.settings', { autoDownload: { files: true } })
    for (const i of [B, C, D, E]) {
      await p(A).client.call('contacts.add', { card: (await p(i).client.call('identity.get', {})).card })
      await p(i).client.call('contacts.add', { card: ownerCard })
    }
    const invited = [B, C, D, E].map((i) => waitForEvent(p(i).client, 'group.invited', () => true))
    const created = await p(A).client.call('groups.create', {
      name: 'Wren photos',
      members: [B, C, D, E].map((i) => p(i).userId),
    })
    groupId = created.groupId
    conversationId = created.conversationId
    for (const [k, wait] of invited.entries()) {
      await wait
      await p([B, C, D, E][k] as number).client.call('groups.accept', { groupId })
    }
    await eventually(
      'five members everywhere',
      async () => {
        const all = await Promise.all(
          peers.map(async (peer) =>
            (await peer.client.call('groups.list', {})).groups.find((g) => g.groupId === groupId),
          ),
        )
        return all.every((s) => s?.memberCount === 5 && s.stateHash === all[0]?.stateHash) ? true : undefined
      },
      ARRIVAL_TIMEOUT_MS,
    )
    // a text from every member first: each holds every other member's Sender Key and contact
    for (const i of [A, B, C, D, E])
      await p(i).client.call('messages.send', { conversationId, text: `hi from ${i}` })
    for (const i of [A, B, C, D, E])
      await eventually(
        `five texts at peer ${i}`,
        async () => ((await history(i)).length >= 5 ? true : undefined),
        ARRIVAL_TIMEOUT_MS,
      )
  })

  after(async () => {
    await Promise.allSettled(peers.map((peer) => peer.stop()))
    if (dir !== '') await rm(dir, { recursive: true, force: true })
  })

  test('a file sent by a member with no caption arrives at the four others with the same SHA-256', async () => {
    const path = join(dir, 'trail.bin')
    const bytes = seededRandom('group file')(FILE_BYTES)
    await writeFile(path, bytes, { mode: 0o600 })
    const expected = sha256(bytes)
    const states = [A, C, D, E].map((i) =>
      waitForEvent(p(i).client, 'attachment.state', (e) => e.state === 'complete', ARRIVAL_TIMEOUT_MS),
    )
    const { message } = await p(B).client.call('attachments.send', { conversationId, path })
    assert.equal(message.text, '')
    assert.equal(message.attachment?.size, FILE_BYTES)
    const hashes = await Promise.all([A, C, D, E].map((i) => received(i, message.id, 'trail')))
    assert.deepEqual(hashes, [expected, expected, expected, expected])
    for (const event of await Promise.all(states)) assert.equal(event.messageId, message.id)
    for (const i of [A, C, D, E]) {
      const line = (await history(i)).find((m) => m.id === message.id)
      assert.equal(line?.attachment?.name, 'trail.bin', `the message shows the file at peer ${i}`)
      assert.equal(line?.sender, p(B).userId)
    }
    // each of the four pulled the six chunks from ben's device
    const sent = await p(B).client.call('attachments.get', { messageId: message.id })
    assert.equal(sent.direction, 'out')
    assert.ok(sent.servedChunks >= 4 * sent.chunkCount, `served ${sent.servedChunks} chunks`)
  })

  test('an image sent to the group arrives at the four others, fetched unasked, with its thumbnail', async () => {
    const png = seededPng(IMAGE_WIDTH, IMAGE_HEIGHT, 31)
    const path = join(dir, 'lake.png')
    await writeFile(path, png, { mode: 0o600 })
    const { message } = await p(C).client.call('attachments.send', {
      conversationId,
      path,
      caption: 'the lake',
    })
    assert.equal(message.attachment?.mediaType, 'image/png')
    for (const i of [A, B, D, E]) {
      const peer = p(i)
      await eventually(
        `image of ${message.id} complete at peer ${i}`,
        async () => ((await attachmentAt(peer.client, message.id))?.state === 'complete' ? true : undefined),
        ARRIVAL_TIMEOUT_MS,
      )
      const saved = join(dir, `lake-at-${i}.png`)
      await peer.client.call('attachments.save', { messageId: message.id, path: saved })
      assert.equal(sha256(await readFile(saved)), sha256(png), `the same image at peer ${i}`)
      const thumb = await fetch(
        `http://127.0.0.1:${peer.daemon.rpcPort}/attachments/${message.id}/thumbnail`,
        { headers: { authorization: `Bearer ${peer.daemon.token}` } },
      )
      assert.equal(thumb.status, 200, `a thumbnail at peer ${i}`)
      assert.equal(thumb.headers.get('content-type'), 'image/jpeg')
      const bytes = new Uint8Array(await thumb.arrayBuffer())
      assert.ok(bytes.length > 0 && bytes.length <= MAX_THUMBNAIL_BYTES, `${bytes.length} bytes`)
    }
  })

  test('a member offline at send time gets the file with its caption after it comes back', async () => {
    const dan = p(D)
    await dan.daemon.stop()
    const path = join(dir, 'summit.bin')
    const bytes = seededRandom('group file while away')(FILE_BYTES)
    await writeFile(path, bytes, { mode: 0o600 })
    const { message } = await p(A).client.call('attachments.send', {
      conversationId,
      path,
      caption: 'the summit',
    })
    for (const i of [B, C, E]) assert.equal(await received(i, message.id, 'summit'), sha256(bytes))
    const again = await spawnDaemon({
      home: dan.daemon.home,
      profile: dan.daemon.profile,
      args: [...RETRY_ARGS, ...p(A).addrs.flatMap((a) => ['--bootstrap', a])],
    })
    // stopping the restarted daemon leaves dan's home; dan.stop() removes it
    const stop = async () => {
      await again.stop()
      await dan.stop()
    }
    peers[D] = { ...dan, daemon: again, client: again.client, stop }
    await again.client.call('identity.unlock', { passphrase: TEST_PASSPHRASE })
    assert.equal(await received(D, message.id, 'summit'), sha256(bytes))
    const line = (await history(D)).find((m) => m.id === message.id)
    assert.equal(line?.text, 'the summit')
  })
})
