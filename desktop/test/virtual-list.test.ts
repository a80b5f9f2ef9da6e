import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  anchoredScrollTop,
  computeWindow,
  HeightIndex,
  isNearBottom,
  isNearTop,
} from '../src/logic/virtual-list.ts'

const keys = (n: number, prefix = 'm') => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

describe('virtual list', () => {
  test('an empty list renders nothing and has zero height', () => {
    const index = new HeightIndex(50)
    assert.deepEqual(computeWindow(index, 0, 600, 0), { start: 0, end: 0, padTop: 0, padBottom: 0, total: 0 })
  })

  test('10,000 rows render only the rows intersecting the viewport plus overscan', () => {
    const index = new HeightIndex(50)
    index.setKeys(keys(10_000))
    const w = computeWindow(index, 50 * 5000, 500, 100)
    // viewport covers rows 5000..5009, overscan 100 px = 2 rows each side
    assert.equal(w.start, 4998)
    assert.equal(w.end, 5012)
    assert.equal(w.padTop, 4998 * 50)
    assert.equal(w.padBottom, (10_000 - 5012) * 50)
    assert.equal(w.total, 500_000)
    assert.equal(w.padTop + (w.end - w.start) * 50 + w.padBottom, w.total)
  })

  test('measured heights replace the estimate and shift later offsets', () => {
    const index = new HeightIndex(50)
    index.setKeys(keys(4))
    assert.equal(index.measure('m1', 120), true)
    assert.equal(index.measure('m1', 120), false, 'same measurement is not a change')
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((i) => index.offsetOf(i)),
      [0, 50, 170, 220, 270],
    )
    assert.equal(index.indexAt(169), 1)
    assert.equal(index.indexAt(170), 2)
    assert.equal(index.indexAt(10_000), 3, 'past the end clamps to the last row')
  })

  test('the window at the bottom ends at the last row with no bottom spacer', () => {
    const index = new HeightIndex(40)
    index.setKeys(keys(100))
    const w = computeWindow(index, 4000 - 400, 400, 80)
    assert.equal(w.end, 100)
    assert.equal(w.padBottom, 0)
  })

  test('prepending older history keeps measurements and the anchored row in place', () => {
    const index = new HeightIndex(50)
    index.setKeys(keys(10))
    index.measure('m0', 200)
    const anchorBefore = index.offsetOf(3) // user looks at m3, scrolled 10 px into it
    const scrollBefore = anchorBefore + 10
    index.setKeys([...keys(5, 'old'), ...keys(10)])
    assert.equal(index.heightOf(5), 200, 'm0 keeps its measured height after the prepend')
    const scrollAfter = anchoredScrollTop(index, 8, anchorBefore, scrollBefore)
    assert.equal(scrollAfter - index.offsetOf(8), 10)
  })

  test('near-bottom and near-top thresholds decide following and history loading', () => {
    assert.equal(isNearBottom(900, 100, 1000), true)
    assert.equal(isNearBottom(500, 100, 1000), false)
    assert.equal(isNearTop(0), true)
    assert.equal(isNearTop(5000), false)
  })
})
