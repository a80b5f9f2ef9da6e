/**
 * Images between two real daemons (issue 16): a phone-like JPEG with EXIF GPS, XMP, IPTC, a
 * comment and a trailer is sent with attachments.send; what bob receives has none of it (the
 * orientation alone is kept), decodes to the same pixels, and its pointer carries a JPEG thumbnail
 * ≤ 16 KiB and ≤ 320 px served at /attachments/<id>/thumbnail; alice's own file is untouched. A
 * file that starts like a JPEG but is not one is refused and nothing is sent.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import jpeg from 'jpeg-js'
import type { RpcError } from '../node/src/rpc/errors.ts'
import { type ChatPeer, eventually, startPair } from './fixtures/chat.ts'
import {
  COMMENT_TEXT,
  GPS_LATITUDE_BYTES,
  IPTC_MARKER,
  seededJpeg,
  TRAILER_TEXT,
  withCameraMetadata,
  XMP_MARKER,
} from './fixtures/jpeg.ts'

/** Issue 16's thumbnail bounds. */
const MAX_THUMBNAIL_BYTES = 16 * 1024
const MAX_THUMBNAIL_SIDE_PX = 320
/** Bound on the transfer of a few hundred KiB over loopback. */
const TRANSFER_TIMEOUT_MS = 60_000

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')
const has = (haystack: Uint8Array, needle: Uint8Array | string): boolean =>
  Buffer.from(haystack).includes(
    typeof needle === 'string' ? Buffer.from(needle, 'latin1') : Buffer.from(needle),
  )

describe('images between two daemons lose their metadata and carry a thumbnail', () => {
  let alice: ChatPeer
  let bob: ChatPeer
  let dir: string

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wren-images-'))
    ;({ alice, bob } = await startPair())
  })
  after(async () => {
    await Promise.allSettled([alice?.stop(), bob?.stop()])
    await rm(dir, { recursive: true, force: true })
  })

  test('a JPEG with EXIF GPS arrives without EXIF, with the same pixels and a JPEG thumbnail ≤ 16 KiB and ≤ 320 px', async () => {
    const camera = withCameraMetadata(seededJpeg(1200, 900, 42), 6)
    const source = join(dir, 'holiday.jpg')
    await writeFile(source, camera, { mode: 0o600 })
    const { message } = await alice.client.call('attachments.send', {
      conversationId: `dm:${bob.userId}`,
      path: source,
      caption: 'the beach',
    })
    assert.equal(message.attachment?.mediaType, 'image/jpeg')
    assert.ok(
      (message.attachment?.size ?? 0) < camera.length,
      'what is sent is smaller: the metadata is gone',
    )
    assert.equal(sha256(await readFile(source)), sha256(camera), 'the user’s own file is untouched')

    await eventually(
      'the image complete at bob',
      async () => {
        const a = await bob.client.call('attachments.get', { messageId: message.id }).catch(() => undefined)
        return a?.state === 'complete' ? a : undefined
      },
      TRANSFER_TIMEOUT_MS,
    )
    const target = join(dir, 'received.jpg')
    await bob.client.call('attachments.save', { messageId: message.id, path: target })
    const received = await readFile(target)
    assert.ok(has(camera, GPS_LATITUDE_BYTES), 'the original carries the GPS latitude')
    for (const marker of [GPS_LATITUDE_BYTES, XMP_MARKER, IPTC_MARKER, COMMENT_TEXT, TRAILER_TEXT])
      assert.ok(!has(received, marker), `bob got no ${String(marker).slice(0, 16)}`)
    // the only EXIF left is the 32-byte orientation block (one IFD0 entry, no GPS pointer)
    const exifAt = received.indexOf(Buffer.from('Exif\0\0', 'latin1'))
    assert.ok(exifAt > 0 && received.indexOf(Buffer.from('Exif\0\0', 'latin1'), exifAt + 1) === -1)
    assert.equal(received.readUInt16BE(exifAt - 2), 34, 'the APP1 holds the orientation alone')
    const before = jpeg.decode(camera, { useTArray: true })
    const after = jpeg.decode(received, { useTArray: true })
    assert.ok(Buffer.from(after.data).equals(Buffer.from(before.data)), 'lossless: the pixels are the same')

    const thumb = await fetch(`http://127.0.0.1:${bob.daemon.rpcPort}/attachments/${message.id}/thumbnail`, {
      headers: { authorization: `Bearer ${bob.daemon.token}` },
    })
    assert.equal(thumb.status, 200)
    assert.equal(thumb.headers.get('content-type'), 'image/jpeg')
    const bytes = new Uint8Array(await thumb.arrayBuffer())
    assert.ok(bytes.length > 0 && bytes.length <= MAX_THUMBNAIL_BYTES, `${bytes.length} bytes`)
    assert.ok(!has(bytes, 'Exif\0\0'), 'the thumbnail has no EXIF')
    const small = jpeg.decode(bytes, { useTArray: true })
    assert.ok(Math.max(small.width, small.height) <= MAX_THUMBNAIL_SIDE_PX)
    assert.deepEqual([small.width, small.height], [240, 320], 'turned upright by orientation 6')
  })

  test('a file that starts like a JPEG but is not one is refused with a clear error, and nothing is sent', async () => {
    const conversationId = `dm:${bob.userId}`
    const count = async () => (await alice.client.call('messages.list', { conversationId })).messages.length
    const sent = await count()
    const source = join(dir, 'broken.jpg')
    await writeFile(
      source,
      Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0x00, 0x40]), Buffer.alloc(20)]),
      {
        mode: 0o600,
      },
    )
    await assert.rejects(
      alice.client.call('attachments.send', { conversationId, path: source }),
      (e: RpcError) => e.errorName === 'INVALID_INPUT' && /metadata cannot be removed/.test(e.message),
    )
    assert.equal(await count(), sent)
  })
})
