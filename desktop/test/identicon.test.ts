import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { IDENTICON_GRID, identicon, identiconRects } from '../src/logic/identicon.ts'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const KEYS = 1000

describe('identicons from the identity key', () => {
  test('the same key always gives the same picture, in either hex case', () => {
    const key = hex(seededRandom('identicon-same')(32))
    const a = identicon(key)
    assert.ok(a)
    assert.deepEqual(identicon(key), a)
    assert.deepEqual(identicon(key.toUpperCase()), a)
    assert.equal(a.cells.length, IDENTICON_GRID * IDENTICON_GRID)
    assert.match(a.colour, /^hsl\(\d+ \d+% \d+%\)$/)
  })

  test('a changed key looks different: one flipped bit changes the picture for each of 1000 keys', () => {
    const random = seededRandom('identicon-flip')
    for (let i = 0; i < KEYS; i++) {
      const key = random(32)
      const changed = key.slice()
      const bit = i % 256
      changed[bit >> 3] = (changed[bit >> 3] as number) ^ (1 << (bit & 7))
      assert.notDeepEqual(identicon(hex(changed)), identicon(hex(key)), `key ${i}`)
    }
  })

  test('1000 keys give 1000 different pictures, each mirrored left to right', () => {
    const random = seededRandom('identicon-spread')
    const seen = new Set<string>()
    for (let i = 0; i < KEYS; i++) {
      const icon = identicon(hex(random(32)))
      assert.ok(icon)
      for (let r = 0; r < IDENTICON_GRID; r++)
        for (let c = 0; c < IDENTICON_GRID; c++)
          assert.equal(
            icon.cells[r * IDENTICON_GRID + c],
            icon.cells[r * IDENTICON_GRID + IDENTICON_GRID - 1 - c],
          )
      seen.add(`${icon.colour}|${icon.cells.map(Number).join('')}`)
    }
    assert.equal(seen.size, KEYS)
  })

  test('what is not a 32-byte hex key has no identicon', () => {
    assert.equal(identicon(''), null)
    assert.equal(identicon('ab'.repeat(31)), null)
    assert.equal(identicon(`${'ab'.repeat(31)}zz`), null)
    assert.equal(identicon('ab'.repeat(33)), null)
  })

  test('the rectangles are exactly the filled cells', () => {
    const icon = identicon('11'.repeat(32))
    assert.ok(icon)
    const rects = identiconRects(icon)
    assert.equal(rects.length, icon.cells.filter(Boolean).length)
    for (const { x, y } of rects) assert.equal(icon.cells[y * IDENTICON_GRID + x], true)
  })
})
