/**
 * Profile pictures between real daemons (issue 17: "profile pictures: small, sent to contacts on
 * change"): a phone photo with EXIF GPS set from a file reaches the contact as a 96 px JPEG of at
 * most 16 KiB without its metadata, equal to the owner's; a removal reaches it; a contact offline
 * during a change gets the newest picture when it is back; a contact added later gets the current
 * one; and the picture sits only sealed in the contact's profile files.
 */
import assert from 'node:assert/strict'
import { readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import jpeg from 'jpeg-js'
import { PICTURE_MAX_BYTES, PICTURE_SIDE_PX } from '../node/src/avatar/constants.ts'
import type { WrenClient } from '../node/src/rpc/client.ts'
import { RpcError } from '../node/src/rpc/errors.ts'
import {
  type ChatPeer,
  eventually,
  startPair,
  startPeer,
  TEST_PASSPHRASE,
  waitForEvent,
} from './fixtures/chat.ts'
import { type SpawnedDaemon, spawnDaemon } from './fixtures/daemon.ts'
import { filesUnder } from './fixtures/files-under.ts'
import { COMMENT_TEXT, GPS_LATITUDE_BYTES, seededJpeg, withCameraMetadata } from './fixtures/jpeg.ts'
import { shapedPng } from './fixtures/png.ts'
import { runWren } from './fixtures/wren-cli.ts'

/** A contact back from a restart: reconnect, outbox retry and delivery on a loaded 2-core machine. */
const RETURN_TIMEOUT_MS = 60_000

async function pictureOf(client: WrenClient, userId: string): Promise<Buffer | null> {
  const { picture } = await client.call('contacts.picture', { userId })
  return picture === null ? null : Buffer.from(picture.jpeg, 'base64')
}

/** Every regular file under `dir`, recursively. */

describe('profile pictures between daemons', () => {
  let alice: ChatPeer
  let bob: ChatPeer
  let carol: ChatPeer | undefined
  let bobAgain: SpawnedDaemon | undefined
  let bobClient: WrenClient
  let photoPath: string

  before(async () => {
    ;({ alice, bob } = await startPair())
    bobClient = bob.client
    photoPath = join(alice.home, 'phone-photo.jpg')
    await writeFile(photoPath, withCameraMetadata(seededJpeg(1600, 1200, 7), 6), { mode: 0o600 })
  })
  after(async () => {
    await Promise.allSettled([alice?.stop(), bobAgain?.stop(), bob?.stop(), carol?.stop()])
  })

  test('a photo set from a file reaches the contact small, square and without its metadata', async () => {
    const changed = waitForEvent(bobClient, 'contact.picture', (p) => p.userId === alice.userId && !p.removed)
    const { picture } = await alice.client.call('identity.setPicture', { path: photoPath })
    assert.ok(picture !== null)
    const event = await changed
    assert.equal(event.setAt, picture.setAt)

    const sent = Buffer.from(picture.jpeg, 'base64')
    assert.ok(sent.length <= PICTURE_MAX_BYTES, `${sent.length} bytes`)
    const at = await pictureOf(bobClient, alice.userId)
    assert.ok(at !== null)
    assert.ok(at.equals(sent), 'the contact holds the picture the owner sent')
    const decoded = jpeg.decode(at, { useTArray: true })
    assert.deepEqual([decoded.width, decoded.height], [PICTURE_SIDE_PX, PICTURE_SIDE_PX])
    assert.equal(at.indexOf(GPS_LATITUDE_BYTES), -1)
    assert.equal(at.indexOf(Buffer.from(COMMENT_TEXT)), -1)
    assert.equal(at.indexOf(Buffer.from('Exif\0')), -1)
    assert.deepEqual((await alice.client.call('identity.picture', {})).picture, picture)
    // bob set none: alice holds none of his
    assert.equal(await pictureOf(alice.client, bob.userId), null)
  })

  test('a file that is not a JPEG is refused and changes nothing', async () => {
    const notImage = join(alice.home, 'notes.txt')
    await writeFile(notImage, 'not a picture', { mode: 0o600 })
    await assert.rejects(
      alice.client.call('identity.setPicture', { path: notImage }),
      /INVALID_INPUT|picture/,
    )
    await assert.rejects(
      alice.client.call('identity.setPicture', { path: join(alice.home, 'missing.jpg') }),
      /NOT_FOUND|no file/,
    )
    const before = await alice.client.call('identity.picture', {})
    assert.ok(before.picture !== null)
  })

  test('a PNG with transparency set from a file reaches the contact as a 96 px JPEG; a WebP is refused with its reason', async () => {
    const pngPath = join(alice.home, 'logo.png')
    // RGBA, its left half fully transparent: white at the contact, not black
    const png = shapedPng(500, 400, 31, {
      colourType: 6,
      depth: 8,
      sample: (x, _y, c) => (c === 3 ? (x < 250 ? 0 : 255) : c === 0 ? 200 : 40),
    })
    await writeFile(pngPath, png, { mode: 0o600 })
    const changed = waitForEvent(bobClient, 'contact.picture', (p) => p.userId === alice.userId && !p.removed)
    const { picture } = await alice.client.call('identity.setPicture', { path: pngPath })
    assert.ok(picture !== null)
    assert.equal((await changed).setAt, picture.setAt)
    const at = await pictureOf(bobClient, alice.userId)
    assert.ok(at !== null)
    assert.ok(at.equals(Buffer.from(picture.jpeg, 'base64')), 'the contact holds the picture sent')
    const decoded = jpeg.decode(at, { useTArray: true })
    assert.deepEqual([decoded.width, decoded.height], [PICTURE_SIDE_PX, PICTURE_SIDE_PX])
    const pixel = (x: number, y: number) => [...decoded.data.subarray((y * 96 + x) * 4, (y * 96 + x) * 4 + 3)]
    assert.ok(
      pixel(2, 48).every((v) => v >= 240),
      `transparent half is white: ${pixel(2, 48)}`,
    )
    assert.ok(
      (pixel(93, 48)[0] as number) > 150 && (pixel(93, 48)[2] as number) < 100,
      'opaque half keeps its colour',
    )

    const webpPath = join(alice.home, 'photo.webp')
    const vp8l = Buffer.alloc(10)
    vp8l[0] = 0x2f
    vp8l.writeUInt32LE(39 | (29 << 14), 1)
    const chunk = Buffer.concat([Buffer.from('VP8L', 'latin1'), Buffer.alloc(4), vp8l])
    chunk.writeUInt32LE(vp8l.length, 4)
    const body = Buffer.concat([Buffer.from('WEBP', 'latin1'), chunk])
    const head = Buffer.from('RIFF\0\0\0\0', 'latin1')
    head.writeUInt32LE(body.length, 4)
    await writeFile(webpPath, Buffer.concat([head, body]), { mode: 0o600 })
    await assert.rejects(
      alice.client.call('identity.setPicture', { path: webpPath }),
      (e: unknown) =>
        e instanceof RpcError &&
        e.errorName === 'INVALID_INPUT' &&
        /image\/webp.*JPEG or PNG/.test(e.message),
    )
    assert.deepEqual((await alice.client.call('identity.picture', {})).picture, picture, 'unchanged')
  })

  test('a removal reaches the contact', async () => {
    const removed = waitForEvent(bobClient, 'contact.picture', (p) => p.userId === alice.userId && p.removed)
    assert.deepEqual(await alice.client.call('identity.setPicture', { remove: true }), { picture: null })
    await removed
    assert.equal(await pictureOf(bobClient, alice.userId), null)
    assert.deepEqual(await alice.client.call('identity.picture', {}), { picture: null })
  })

  test('a contact offline during two changes gets the newest picture when it is back', async () => {
    await bob.daemon.stop()
    const first = seededJpeg(300, 300, 11)
    const second = seededJpeg(400, 240, 12)
    await alice.client.call('identity.setPicture', { image: first.toString('base64') })
    const { picture: newest } = await alice.client.call('identity.setPicture', {
      image: second.toString('base64'),
    })
    assert.ok(newest !== null)

    bobAgain = await spawnDaemon({
      home: bob.home,
      profile: bob.daemon.profile,
      keepHome: true,
      args: alice.addrs.flatMap((a) => ['--bootstrap', a]),
    })
    await bobAgain.client.call('identity.unlock', { passphrase: TEST_PASSPHRASE })
    bobClient = bobAgain.client
    const held = await eventually(
      "alice's newest picture at bob",
      async () => {
        const { picture } = await bobClient.call('contacts.picture', { userId: alice.userId })
        return picture?.setAt === newest.setAt ? picture : undefined
      },
      RETURN_TIMEOUT_MS,
    )
    assert.equal(held.jpeg, newest.jpeg)
  })

  test('a contact added later gets the current picture', async () => {
    carol = await startPeer('Carol', { args: alice.addrs.flatMap((a) => ['--bootstrap', a]) })
    const aliceCard = (await alice.client.call('identity.get', {})).card
    const carolCard = (await carol.client.call('identity.get', {})).card
    await carol.client.call('contacts.add', { card: aliceCard })
    const arrived = waitForEvent(carol.client, 'contact.picture', (p) => p.userId === alice.userId)
    await alice.client.call('contacts.add', { card: carolCard })
    await arrived
    const current = (await alice.client.call('identity.picture', {})).picture
    assert.ok(current !== null)
    assert.equal(
      (await carol.client.call('contacts.picture', { userId: alice.userId })).picture?.jpeg,
      current.jpeg,
    )
  })

  test('wren picture shows, removes and sets the picture from the command line', async () => {
    const cli = { home: alice.home, profile: alice.daemon.profile }
    const shown = await runWren(['picture'], cli)
    assert.equal(shown.code, 0, shown.stderr)
    assert.match(shown.stdout, /A picture is set \(\d+ bytes\)/)
    const removed = await runWren(['picture', '--remove'], cli)
    assert.equal(removed.code, 0, removed.stderr)
    assert.match(removed.stdout, /Picture removed/)
    await eventually('the removal at bob', async () =>
      (await pictureOf(bobClient, alice.userId)) === null ? true : undefined,
    )
    const set = await runWren(['picture', photoPath, '--json'], cli)
    assert.equal(set.code, 0, set.stderr)
    const { picture } = JSON.parse(set.stdout) as { picture: { setAt: number; jpeg: string } }
    await eventually('the new picture at bob', async () =>
      (await pictureOf(bobClient, alice.userId))?.equals(Buffer.from(picture.jpeg, 'base64'))
        ? true
        : undefined,
    )
    const both = await runWren(['picture', photoPath, '--remove'], cli)
    assert.notEqual(both.code, 0)
  })

  test('the picture is at rest only sealed: no profile file of the contact holds its bytes', async () => {
    const { picture } = await alice.client.call('identity.picture', {})
    assert.ok(picture !== null)
    const jpegBytes = Buffer.from(picture.jpeg, 'base64')
    // a run of the entropy-coded data, past the headers jpeg-js writes the same for every picture
    const probes = [
      jpegBytes.subarray(jpegBytes.length - 200, jpegBytes.length - 100),
      Buffer.from(picture.jpeg.slice(-300, -200)), // as base64 (records keep bytes as base64 in JSON)
    ]
    await bobAgain?.stop()
    bobAgain = undefined
    const files = await filesUnder(bob.home)
    assert.ok(files.length > 0)
    for (const file of files) {
      if ((await stat(file)).size === 0) continue
      const content = await readFile(file)
      for (const probe of probes)
        assert.equal(content.indexOf(probe), -1, `${file} holds the picture in the clear`)
    }
    await rm(photoPath, { force: true })
  })
})
