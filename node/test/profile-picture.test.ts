import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { crc32 } from 'node:zlib'
import jpeg from 'jpeg-js'
import { fuzzDecoder } from '../../test/fixtures/fuzz.ts'
import { COMMENT_TEXT, GPS_LATITUDE_BYTES, seededJpeg, withCameraMetadata } from '../../test/fixtures/jpeg.ts'
import { seededPng, shapedPng } from '../../test/fixtures/png.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { MAX_PICTURE_PAYLOAD_BYTES, PICTURE_MAX_BYTES, PICTURE_SIDE_PX } from '../src/avatar/constants.ts'
import { pngDecodeBytes } from '../src/avatar/decode-png.ts'
import {
  MalformedPictureError,
  PictureNotUsableError,
  UnsupportedPictureFormatError,
} from '../src/avatar/errors.ts'
import { decodePicturePayload, encodePicturePayload } from '../src/avatar/picture-payload.ts'
import { preparePicture } from '../src/avatar/prepare-picture.ts'

describe('profile pictures', () => {
  test('a 1600×1200 phone JPEG with EXIF and GPS becomes a 96 px square JPEG ≤ 16 KiB with no metadata', () => {
    const photo = withCameraMetadata(seededJpeg(1600, 1200, 7), 6)
    const picture = preparePicture(photo)
    assert.ok(picture.length <= PICTURE_MAX_BYTES, `${picture.length} bytes`)
    const decoded = jpeg.decode(picture, { useTArray: true })
    assert.equal(decoded.width, PICTURE_SIDE_PX)
    assert.equal(decoded.height, PICTURE_SIDE_PX)
    assert.equal(Buffer.from(picture).indexOf(GPS_LATITUDE_BYTES), -1)
    assert.equal(Buffer.from(picture).indexOf(Buffer.from(COMMENT_TEXT)), -1)
    assert.equal(Buffer.from(picture).indexOf(Buffer.from('Exif\0')), -1)
  })

  test('PNGs of every colour type and depth become a 96 px JPEG; transparency is laid on white', () => {
    const shapes = [
      { colourType: 2, depth: 8 },
      { colourType: 6, depth: 8 },
      { colourType: 0, depth: 16 },
      { colourType: 4, depth: 8 },
      { colourType: 3, depth: 8 },
      { colourType: 6, depth: 16 },
    ] as const
    for (const [i, shape] of shapes.entries()) {
      const picture = preparePicture(shapedPng(300, 200, 20 + i, shape))
      assert.ok(picture.length <= PICTURE_MAX_BYTES, `${JSON.stringify(shape)}: ${picture.length} bytes`)
      const decoded = jpeg.decode(picture, { useTArray: true })
      assert.deepEqual([decoded.width, decoded.height], [PICTURE_SIDE_PX, PICTURE_SIDE_PX])
    }
    assert.equal(
      jpeg.decode(preparePicture(seededPng(1200, 900, 4)), { useTArray: true }).width,
      PICTURE_SIDE_PX,
    )
    // fully transparent black: white, not black
    const clear = shapedPng(120, 120, 1, {
      colourType: 6,
      depth: 8,
      sample: (_x, _y, c) => (c === 3 ? 0 : 0),
    })
    const pixels = jpeg.decode(preparePicture(clear), { useTArray: true }).data
    let darkest = 255
    for (let i = 0; i < pixels.length; i += 4) darkest = Math.min(darkest, pixels[i] as number)
    assert.ok(darkest >= 245, `transparent pixels show white (darkest red ${darkest})`)
  })

  test('PNGs the decoder would not bound, and a WebP, are refused with typed errors', () => {
    assert.throws(
      () => preparePicture(shapedPng(64, 64, 2, { colourType: 2, depth: 8, interlace: true })),
      (e: unknown) => e instanceof PictureNotUsableError && /interlaced/.test(e.message),
    )
    // within the pixel cap, but 16-bit RGBA over the decode memory cap
    assert.ok(pngDecodeBytes(5000, 5000, 16, 4) > 256 * 1024 * 1024)
    const header = shapedPng(1, 1, 3, { colourType: 6, depth: 16 })
    header.writeUInt32BE(5000, 16)
    header.writeUInt32BE(5000, 20)
    assert.throws(
      () => preparePicture(header),
      (e: unknown) => e instanceof PictureNotUsableError,
    )
    const riff = (type: string, data: Buffer) => {
      const head = Buffer.alloc(8)
      head.write(type, 0, 'latin1')
      head.writeUInt32LE(data.length, 4)
      return Buffer.concat([head, data])
    }
    const vp8l = Buffer.alloc(10)
    vp8l[0] = 0x2f
    vp8l.writeUInt32LE(39 | (29 << 14), 1)
    const body = Buffer.concat([Buffer.from('WEBP', 'latin1'), riff('VP8L', vp8l)])
    const webp = Buffer.concat([Buffer.from('RIFF', 'latin1'), Buffer.alloc(4), body])
    webp.writeUInt32LE(body.length, 4)
    assert.throws(
      () => preparePicture(webp),
      (e: unknown) =>
        e instanceof UnsupportedPictureFormatError &&
        e.mediaType === 'image/webp' &&
        /JPEG or PNG/.test(e.message),
    )
  })

  test('fuzz: truncated and bit-flipped PNGs, CRCs fixed up too, are refused with PictureNotUsableError or made small', () => {
    const samples = [
      shapedPng(40, 30, 5, { colourType: 6, depth: 8 }),
      shapedPng(40, 30, 6, { colourType: 3, depth: 8 }),
      shapedPng(40, 30, 7, { colourType: 0, depth: 16 }),
    ]
    // a 40 × 30 source gives its 30 px centred square (never scaled up)
    for (const sample of samples) assert.equal(jpeg.decode(preparePicture(sample)).width, 30)
    fuzzDecoder(preparePicture, {
      seed: 'profile-picture-png',
      runs: 50,
      // Uint8Array copies: the helper's slice() would share a Buffer's memory and flip bits in it
      samples: samples.map((sample) => new Uint8Array(sample)),
      allowed: [PictureNotUsableError],
    })
    // flips inside a chunk with its CRC made right again reach the decoder itself (IHDR, PLTE, IDAT)
    const random = seededRandom('profile-picture-png-crc')
    let accepted = 0
    let rejected = 0
    for (const sample of samples)
      for (let i = 0; i < 80; i++) {
        const png = Buffer.from(sample)
        const chunks: Array<[number, number]> = []
        for (let pos = 8; pos < png.length; ) {
          const length = png.readUInt32BE(pos)
          chunks.push([pos, length])
          pos += 12 + length
        }
        const withData = chunks.filter(([, length]) => length > 0)
        const [pos, length] = withData[(random(1)[0] as number) % withData.length] as [number, number]
        const at = pos + 8 + (((random(2)[0] as number) * 256 + (random(1)[0] as number)) % length)
        png[at] = (png[at] as number) ^ (1 << ((random(1)[0] as number) % 8))
        png.writeUInt32BE(crc32(png.subarray(pos + 4, pos + 8 + length)) >>> 0, pos + 8 + length)
        try {
          preparePicture(png)
          accepted++
        } catch (error) {
          assert.ok(
            error instanceof PictureNotUsableError,
            `untyped ${(error as Error)?.name}: ${(error as Error)?.message}`,
          )
          rejected++
        }
      }
    assert.ok(accepted >= 1 && rejected >= 1, `accepted ${accepted}, rejected ${rejected}`)
  })

  test('what is not a JPEG is refused with a reason', () => {
    assert.throws(() => preparePicture(new TextEncoder().encode('<svg></svg>')), PictureNotUsableError)
    assert.throws(() => preparePicture(seededRandom('not-an-image')(4096)), PictureNotUsableError)
    assert.throws(() => preparePicture(seededJpeg(200, 200, 1).subarray(0, 300)), PictureNotUsableError)
  })

  test('a payload round-trips, and a removal is an empty picture', () => {
    const jpegBytes = preparePicture(seededJpeg(300, 200, 3))
    const back = decodePicturePayload(encodePicturePayload({ setAt: 1_700_000_000_000, jpeg: jpegBytes }))
    assert.equal(back.setAt, 1_700_000_000_000)
    assert.deepEqual(back.jpeg, jpegBytes)
    assert.equal(
      decodePicturePayload(encodePicturePayload({ setAt: 5, jpeg: new Uint8Array(0) })).jpeg.length,
      0,
    )
  })

  test('a contact sending a large or non-JPEG picture is refused before anything is stored', () => {
    const big = seededJpeg(400, 400, 9, 95)
    assert.ok(big.length > PICTURE_MAX_BYTES)
    assert.throws(
      () => decodePicturePayload(encodePicturePayload({ setAt: 1, jpeg: big })),
      MalformedPictureError,
    )
    const wide = seededJpeg(200, 50, 9, 10)
    assert.ok(wide.length <= PICTURE_MAX_BYTES)
    assert.throws(
      () => decodePicturePayload(encodePicturePayload({ setAt: 1, jpeg: wide })),
      /not within 96 px/,
    )
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0])
    assert.throws(
      () => decodePicturePayload(encodePicturePayload({ setAt: 1, jpeg: png })),
      MalformedPictureError,
    )
    assert.throws(() => decodePicturePayload(new Uint8Array(MAX_PICTURE_PAYLOAD_BYTES + 1)), /over/)
  })

  test('fuzz: random, truncated and bit-flipped payloads are rejected with MalformedPictureError or parse', () => {
    const sample = encodePicturePayload({ setAt: 42, jpeg: preparePicture(seededJpeg(120, 120, 5)) })
    const { accepted, rejected } = fuzzDecoder(decodePicturePayload, {
      seed: 'profile-picture',
      runs: 1000,
      maxLength: MAX_PICTURE_PAYLOAD_BYTES + 64,
      samples: [sample],
      allowed: [MalformedPictureError],
    })
    assert.ok(rejected >= 1000, `rejected ${rejected}`)
    assert.ok(accepted >= 1, `accepted ${accepted}`)
  })
})
