import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { cardFromQrText, fitWithin, MAX_CARD_CHARS, MAX_QR_IMAGE_SIDE_PX } from '../src/logic/qr-image.ts'

describe('fitWithin: the size a QR image is drawn at before decoding', () => {
  test('an image already within the bound keeps its size and is never scaled up', () => {
    assert.deepEqual(fitWithin(300, 200), { width: 300, height: 200 })
    assert.deepEqual(fitWithin(MAX_QR_IMAGE_SIDE_PX, MAX_QR_IMAGE_SIDE_PX), {
      width: MAX_QR_IMAGE_SIDE_PX,
      height: MAX_QR_IMAGE_SIDE_PX,
    })
  })

  test('a large landscape or portrait image shrinks so its long side equals the bound, aspect kept', () => {
    assert.deepEqual(fitWithin(4096, 3072), { width: 2048, height: 1536 })
    assert.deepEqual(fitWithin(3000, 6000, 1000), { width: 500, height: 1000 })
  })

  test('a very thin image keeps at least 1 px on its short side', () => {
    assert.deepEqual(fitWithin(100_000, 3, 2048), { width: 2048, height: 1 })
  })

  test('no size it returns exceeds the bound, for many shapes', () => {
    for (let w = 1; w < 9000; w += 997)
      for (let h = 1; h < 9000; h += 1013) {
        const r = fitWithin(w, h, 1024)
        assert.ok(r.width >= 1 && r.width <= 1024 && r.height >= 1 && r.height <= 1024, `${w}x${h}`)
      }
  })

  test('zero, negative or NaN sizes are a RangeError', () => {
    assert.throws(() => fitWithin(0, 10), RangeError)
    assert.throws(() => fitWithin(10, -1), RangeError)
    assert.throws(() => fitWithin(Number.NaN, 10), RangeError)
    assert.throws(() => fitWithin(10, 10, 0), RangeError)
  })
})

describe('cardFromQrText: which decoded QR texts are a Wren card', () => {
  test('a wren: text is the card, surrounding whitespace trimmed', () => {
    assert.equal(cardFromQrText('  wren:abc\n'), 'wren:abc')
  })

  test('no QR, another scheme or an over-long text is not a card', () => {
    assert.equal(cardFromQrText(null), null)
    assert.equal(cardFromQrText(undefined), null)
    assert.equal(cardFromQrText(''), null)
    assert.equal(cardFromQrText('https://example.com/wren:abc'), null)
    assert.equal(cardFromQrText(`wren:${'a'.repeat(MAX_CARD_CHARS)}`), null)
  })
})
