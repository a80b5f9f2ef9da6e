/**
 * Images lose their metadata on the sending side (issue 16): JPEG by lossless segment stripping
 * (pixels equal, the EXIF orientation kept alone), PNG, WebP and GIF by dropping their metadata
 * chunks or blocks; the parsers refuse what does not follow the format with MalformedImageError and
 * nothing else. Thumbnails: a JPEG ≤ 16 KiB and ≤ 320 px, upright, never decoded past the pixel cap.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { crc32 } from 'node:zlib'
import fc from 'fast-check'
import jpeg from 'jpeg-js'
import { PNG } from 'pngjs'
import {
  COMMENT_TEXT,
  GPS_LATITUDE_BYTES,
  IPTC_MARKER,
  seededJpeg,
  TRAILER_TEXT,
  withCameraMetadata,
  XMP_MARKER,
} from '../../test/fixtures/jpeg.ts'
import { seededPng } from '../../test/fixtures/png.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { sniffImageType } from '../src/files/image-sniff.ts'
import { MAX_THUMBNAIL_SOURCE_PIXELS } from '../src/files/images/constants.ts'
import { MalformedImageError } from '../src/files/images/errors.ts'
import { readExifOrientation } from '../src/files/images/exif-orientation.ts'
import { stripImageMetadata } from '../src/files/images/strip-metadata.ts'
import { encodeThumbnail, makeThumbnail, orient } from '../src/files/images/thumbnail.ts'

const has = (haystack: Uint8Array, needle: Uint8Array | string): boolean =>
  Buffer.from(haystack).includes(
    typeof needle === 'string' ? Buffer.from(needle, 'latin1') : Buffer.from(needle),
  )

/** The APP1 segments of a JPEG (payloads), walking the headers up to the first scan. */
function app1Payloads(bytes: Uint8Array): Buffer[] {
  const b = Buffer.from(bytes)
  const out: Buffer[] = []
  for (let pos = 2; b[pos] === 0xff && b[pos + 1] !== 0xda; pos += 2 + b.readUInt16BE(pos + 2))
    if (b[pos + 1] === 0xe1) out.push(b.subarray(pos + 4, pos + 2 + b.readUInt16BE(pos + 2)))
  return out
}

function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
  const head = Buffer.alloc(4)
  head.writeUInt32BE(data.length)
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body) >>> 0)
  return Buffer.concat([head, body, crc])
}

/** `png` with text, EXIF and time chunks after IHDR (8 + 25 bytes) and junk after IEND. */
function pngWithMetadata(png: Buffer): Buffer {
  return Buffer.concat([
    png.subarray(0, 33),
    pngChunk('tEXt', Buffer.from('Comment\0shot at 12 Secret Street', 'latin1')),
    pngChunk('eXIf', Buffer.concat([Buffer.from('MM\0*', 'latin1'), GPS_LATITUDE_BYTES])),
    pngChunk('iTXt', Buffer.from(`XML:com.adobe.xmp\0\0\0\0\0${XMP_MARKER}`, 'latin1')),
    pngChunk('tIME', Buffer.from([7, 0xe8, 1, 2, 3, 4, 5])),
    pngChunk('prVt', Buffer.from('vendor data')),
    png.subarray(33),
    Buffer.from(TRAILER_TEXT, 'latin1'),
  ])
}

function riffChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8)
  head.write(type, 0, 'latin1')
  head.writeUInt32LE(data.length, 4)
  return Buffer.concat([head, data, data.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)])
}

/** An extended WebP (VP8X with the EXIF and XMP flags) around a VP8L header of 40 × 30 px. */
function webpWithMetadata(withMeta: boolean): Buffer {
  const vp8x = Buffer.alloc(10)
  vp8x[0] = withMeta ? 0x0c : 0
  vp8x.writeUIntLE(39, 4, 3)
  vp8x.writeUIntLE(29, 7, 3)
  const vp8l = Buffer.alloc(9)
  vp8l[0] = 0x2f
  vp8l.writeUInt32LE(39 | (29 << 14), 1)
  const chunks = [riffChunk('VP8X', vp8x), riffChunk('VP8L', vp8l)]
  if (withMeta)
    chunks.push(
      riffChunk('EXIF', Buffer.concat([Buffer.from('MM\0*', 'latin1'), GPS_LATITUDE_BYTES])),
      riffChunk('XMP ', Buffer.from(XMP_MARKER, 'latin1')),
    )
  const body = Buffer.concat([Buffer.from('WEBP', 'latin1'), ...chunks])
  const head = Buffer.alloc(8)
  head.write('RIFF', 0, 'latin1')
  head.writeUInt32LE(body.length, 4)
  return Buffer.concat([head, body])
}

/** A 2 × 1 GIF89a (global table of 2 colours, one image), with a comment and an XMP extension when asked. */
function gif(withMeta: boolean): Buffer {
  const header = Buffer.from('GIF89a\x02\x00\x01\x00\x80\x00\x00\xff\x00\x00\x00\x00\xff', 'latin1')
  const loop = Buffer.from('\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00', 'latin1')
  const comment = Buffer.from(
    `\x21\xfe${String.fromCharCode(COMMENT_TEXT.length)}${COMMENT_TEXT}\x00`,
    'latin1',
  )
  const xmp = Buffer.from(`\x21\xff\x0bXMP DataXMP\x05<xmp>\x00`, 'latin1')
  const image = Buffer.from('\x2c\x00\x00\x00\x00\x02\x00\x01\x00\x00\x02\x02\x44\x01\x00', 'latin1')
  return Buffer.concat([header, loop, ...(withMeta ? [comment, xmp] : []), image, Buffer.from(';', 'latin1')])
}

describe('image metadata is stripped before an image is sealed', () => {
  test('a JPEG with EXIF GPS, XMP, IPTC, a comment and a trailer comes out with none of them, pixels equal and the orientation kept alone', () => {
    const plain = seededJpeg(240, 160, 11)
    const camera = withCameraMetadata(plain, 6)
    assert.ok(has(camera, GPS_LATITUDE_BYTES), 'the input carries the GPS latitude')
    const out = stripImageMetadata(camera)
    assert.ok(out !== null)
    assert.equal(out.type, 'image/jpeg')
    assert.deepEqual([out.width, out.height, out.orientation], [240, 160, 6])
    for (const marker of [GPS_LATITUDE_BYTES, XMP_MARKER, IPTC_MARKER, COMMENT_TEXT, TRAILER_TEXT])
      assert.ok(!has(out.bytes, marker), `no ${String(marker).slice(0, 20)} left`)
    const exif = app1Payloads(out.bytes)
    assert.equal(exif.length, 1, 'one APP1: the orientation alone')
    assert.equal(readExifOrientation(exif[0] as Buffer), 6)
    assert.equal((exif[0] as Buffer).readUInt16BE(6 + 8), 1, 'IFD0 has one entry')
    const before = jpeg.decode(camera, { useTArray: true })
    const after = jpeg.decode(out.bytes, { useTArray: true })
    assert.deepEqual([after.width, after.height], [before.width, before.height])
    assert.ok(Buffer.from(after.data).equals(Buffer.from(before.data)), 'the decoded pixels are the same')
  })

  test('a JPEG with nothing to drop comes out byte for byte, and stripping twice changes nothing', () => {
    const plain = seededJpeg(64, 48, 3)
    assert.ok(Buffer.from(stripImageMetadata(plain)?.bytes ?? []).equals(plain))
    const once = stripImageMetadata(withCameraMetadata(plain, 3))?.bytes ?? new Uint8Array()
    assert.ok(Buffer.from(stripImageMetadata(once)?.bytes ?? []).equals(Buffer.from(once)))
  })

  test('a PNG loses tEXt, eXIf, iTXt, tIME, private chunks and its trailer, and is otherwise the same bytes', () => {
    const png = seededPng(30, 20, 5)
    const out = stripImageMetadata(pngWithMetadata(png))
    assert.ok(out !== null)
    assert.deepEqual([out.type, out.width, out.height], ['image/png', 30, 20])
    assert.ok(Buffer.from(out.bytes).equals(png))
  })

  test('a WebP loses its EXIF and XMP chunks, the VP8X flags say so and the RIFF size is right', () => {
    const out = stripImageMetadata(webpWithMetadata(true))
    assert.ok(out !== null)
    assert.deepEqual([out.type, out.width, out.height], ['image/webp', 40, 30])
    assert.ok(Buffer.from(out.bytes).equals(webpWithMetadata(false)))
  })

  test('a GIF loses its comment and XMP extensions and keeps its looping one', () => {
    const out = stripImageMetadata(gif(true))
    assert.ok(out !== null)
    assert.deepEqual([out.type, out.width, out.height], ['image/gif', 2, 1])
    assert.ok(Buffer.from(out.bytes).equals(gif(false)))
  })

  test('bytes that are not an image are not touched (null), whatever their name', () => {
    assert.equal(stripImageMetadata(Buffer.from('not a picture at all')), null)
  })
})

describe('image parsers refuse malformed input with MalformedImageError only', () => {
  const samples: [Buffer, Buffer, Buffer, Buffer] = [
    withCameraMetadata(seededJpeg(48, 32, 9)),
    pngWithMetadata(seededPng(12, 8, 2)),
    webpWithMetadata(true),
    gif(true),
  ]

  /** Strip, then check the result strips to itself; only MalformedImageError may be thrown. */
  const attempt = (input: Uint8Array): boolean => {
    try {
      const out = stripImageMetadata(input)
      if (out !== null) {
        const again = stripImageMetadata(out.bytes)
        assert.ok(again !== null && Buffer.from(again.bytes).equals(Buffer.from(out.bytes)), 'idempotent')
      }
      return true
    } catch (error) {
      if (error instanceof MalformedImageError) return false
      throw error
    }
  }

  test('every prefix of a valid image cut before its end marker is refused (no structure is accepted half-read)', () => {
    // JPEG and PNG samples end with a trailer after EOI/IEND, which is dropped: cut before it
    const ends = [
      samples[0].length - TRAILER_TEXT.length,
      samples[1].length - TRAILER_TEXT.length,
      samples[2].length,
      samples[3].length,
    ]
    for (const [i, sample] of samples.entries()) {
      let refused = 0
      for (let cut = 0; cut < (ends[i] as number); cut++) {
        const prefix = sample.subarray(0, cut)
        try {
          const out = stripImageMetadata(prefix)
          assert.equal(out, null, `a ${cut}-byte prefix of sample ${i} was accepted`)
          assert.equal(sniffImageType(prefix), null, 'only a prefix too short to be sniffed is not an image')
        } catch (error) {
          assert.ok(error instanceof MalformedImageError, `cut ${cut}: ${(error as Error).name}`)
          refused++
        }
      }
      assert.ok(refused > (ends[i] as number) - 13, `sample ${i}: ${refused} prefixes refused`)
    }
  })

  test('mutated, spliced and random images never throw anything but MalformedImageError (fast-check, seeded)', () => {
    let refused = 0
    let accepted = 0
    const mutation = fc.record({
      sample: fc.nat({ max: samples.length - 1 }),
      edits: fc.array(
        fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'cut')),
        {
          maxLength: 8,
        },
      ),
    })
    fc.assert(
      fc.property(mutation, ({ sample, edits }) => {
        let bytes = Buffer.from(samples[sample] as Buffer)
        for (const [at, value, kind] of edits) {
          const i = at % (bytes.length + 1)
          if (kind === 'set' && i < bytes.length) bytes[i] = value
          if (kind === 'insert')
            bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from([value]), bytes.subarray(i)])
          if (kind === 'cut')
            bytes = Buffer.concat([bytes.subarray(0, i), bytes.subarray(Math.min(bytes.length, i + value))])
        }
        if (attempt(bytes)) accepted++
        else refused++
      }),
      { seed: 0x1ad6e, numRuns: 3000 },
    )
    const magic = fc.constantFrom(
      [0xff, 0xd8, 0xff],
      [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
      [...Buffer.from('GIF89a')],
      [...Buffer.from('RIFF\x20\x00\x00\x00WEBP', 'latin1')],
    )
    fc.assert(
      fc.property(magic, fc.uint8Array({ maxLength: 512 }), (head, tail) => {
        if (attempt(Buffer.concat([Buffer.from(head), tail]))) accepted++
        else refused++
      }),
      { seed: 0x1ad6f, numRuns: 3000 },
    )
    assert.ok(refused > 1000, `bad input is refused (${refused} refused, ${accepted} accepted)`)
    assert.ok(accepted > 100, `harmless edits still parse (${accepted} accepted)`)
  })
})

describe('the thumbnail is a JPEG within 16 KiB and 320 px, upright', () => {
  test('a 1600 × 1200 photo-like JPEG gets a 320 × 240 thumbnail under 16 KiB; turned by orientation 6 it is 240 × 320', async () => {
    for (const [orientation, size] of [
      [1, [320, 240]],
      [6, [240, 320]],
    ] as const) {
      const image = stripImageMetadata(withCameraMetadata(seededJpeg(1600, 1200, 21), orientation))
      assert.ok(image !== null)
      const thumb = await makeThumbnail(image)
      assert.ok(thumb.length > 0 && thumb.length <= 16 * 1024, `${thumb.length} bytes`)
      const decoded = jpeg.decode(thumb, { useTArray: true })
      assert.deepEqual([decoded.width, decoded.height], size)
    }
  })

  test('pure noise that does not fit 16 KiB at 320 px even at the lowest quality shrinks until it does', async () => {
    const data = seededRandom('thumbnail noise')(320 * 320 * 4).map((v, i) => (i % 4 === 3 ? 255 : v))
    const thumb = await encodeThumbnail({ width: 320, height: 320, data }, 1)
    assert.ok(thumb.length > 0 && thumb.length <= 16 * 1024, `${thumb.length} bytes`)
    const decoded = jpeg.decode(thumb, { useTArray: true })
    assert.ok(decoded.width < 320 && decoded.width === decoded.height, `${decoded.width} px`)
  })

  test('an image over the pixel cap is not decoded: no thumbnail, and its (undecodable) bytes are never read', async () => {
    const side = Math.ceil(Math.sqrt(MAX_THUMBNAIL_SOURCE_PIXELS)) + 1
    const thumb = await makeThumbnail({
      type: 'image/jpeg',
      bytes: Buffer.from('garbage'),
      width: side,
      height: side,
      orientation: 1,
    })
    assert.equal(thumb.length, 0)
    await assert.rejects(
      () =>
        makeThumbnail({
          type: 'image/jpeg',
          bytes: Buffer.from('garbage'),
          width: 10,
          height: 10,
          orientation: 1,
        }),
      MalformedImageError,
    )
  })

  test('a PNG gets a JPEG thumbnail too: 640 × 320 red at half transparency comes out 320 × 160, pink over white', async () => {
    const width = 640
    const height = 320
    const data = Buffer.alloc(width * height * 4)
    for (let i = 0; i < data.length; i += 4) data.set([255, 0, 0, 128], i)
    const png = PNG.sync.write({ width, height, data }, { colorType: 6 })
    const image = stripImageMetadata(png)
    assert.ok(image !== null && image.type === 'image/png')
    const thumb = await makeThumbnail(image)
    assert.ok(thumb.length > 0 && thumb.length <= 16 * 1024, `${thumb.length} bytes`)
    const decoded = jpeg.decode(thumb, { useTArray: true })
    assert.deepEqual([decoded.width, decoded.height], [320, 160])
    const centre = (80 * 320 + 160) * 4
    const [r, g, b] = decoded.data.subarray(centre, centre + 3)
    // red at alpha 128/255 over white: (255, 127, 127), within JPEG's rounding
    assert.ok(
      (r as number) > 240 && Math.abs((g as number) - 127) < 12 && Math.abs((b as number) - 127) < 12,
      `${r} ${g} ${b}`,
    )
  })

  test('a noisy RGB PNG gets a thumbnail within 16 KiB and 320 px that keeps its shape', async () => {
    const image = stripImageMetadata(seededPng(800, 600, 9))
    assert.ok(image !== null)
    const thumb = await makeThumbnail(image)
    assert.ok(thumb.length > 0 && thumb.length <= 16 * 1024, `${thumb.length} bytes`)
    const decoded = jpeg.decode(thumb, { useTArray: true })
    assert.ok(decoded.width <= 320 && Math.abs(decoded.width / decoded.height - 4 / 3) < 0.02)
  })

  test('a PNG whose pixel data is damaged is refused with MalformedImageError, whatever the damage (seeded)', async () => {
    const png = seededPng(64, 48, 4)
    const idat = png.indexOf('IDAT', 0, 'latin1')
    const random = seededRandom('damaged png')
    let refused = 0
    for (let run = 0; run < 50; run++) {
      const bad = Buffer.from(png)
      // flip bytes inside IDAT's data and fix nothing: the CRC or the inflate refuses it
      for (let k = 0; k < 3; k++) {
        const at = idat + 4 + (((random(1)[0] as number) * 97) % (png.length - idat - 20))
        bad[at] = (bad[at] as number) ^ ((random(1)[0] as number) | 1)
      }
      const image = { type: 'image/png' as const, bytes: bad, width: 64, height: 48, orientation: 1 }
      await assert.rejects(makeThumbnail(image), MalformedImageError)
      refused++
    }
    assert.equal(refused, 50)
  })

  test('orientations 6 and 8 turn the pixels a quarter each way, 3 a half', () => {
    // a 2 × 1 image: red then blue
    const src = { width: 2, height: 1, data: Uint8Array.from([255, 0, 0, 255, 0, 0, 255, 255]) }
    const red = [255, 0, 0, 255]
    const blue = [0, 0, 255, 255]
    const px = (p: { data: Uint8Array }) => [...p.data]
    assert.deepEqual(px(orient(src, 6)), [...red, ...blue], 'clockwise: red on top')
    assert.deepEqual(orient(src, 6).height, 2)
    assert.deepEqual(px(orient(src, 8)), [...blue, ...red], 'anticlockwise: blue on top')
    assert.deepEqual(px(orient(src, 3)), [...blue, ...red])
  })
})
