import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import jpeg from 'jpeg-js'
import { fuzzDecoder } from '../../test/fixtures/fuzz.ts'
import { COMMENT_TEXT, GPS_LATITUDE_BYTES, seededJpeg, withCameraMetadata } from '../../test/fixtures/jpeg.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { MAX_PICTURE_PAYLOAD_BYTES, PICTURE_MAX_BYTES, PICTURE_SIDE_PX } from '../src/avatar/constants.ts'
import { MalformedPictureError, PictureNotUsableError } from '../src/avatar/errors.ts'
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
