import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  safetyNumberGroups,
  safetyNumberRows,
  safetyNumbersMatch,
  safetyNumberText,
} from '../src/logic/safety-number.ts'

const SN = '123456789012345678901234567890098765432109876543210987654321'

describe('safety number formatting', () => {
  test('60 digits become 12 groups of 5 in 3 rows of 4', () => {
    const groups = safetyNumberGroups(SN)
    assert.equal(groups.length, 12)
    assert.equal(groups[0], '12345')
    assert.equal(groups[11], '54321')
    assert.equal(groups.join(''), SN)
    const rows = safetyNumberRows(SN)
    assert.deepEqual(
      rows.map((r) => r.length),
      [4, 4, 4],
    )
  })

  test('anything but 60 digits is not formatted', () => {
    assert.deepEqual(safetyNumberGroups(SN.slice(1)), [])
    assert.deepEqual(safetyNumberGroups(`${SN.slice(1)}x`), [])
  })

  test('copied text has spaces between groups and newlines between rows', () => {
    assert.equal(safetyNumberText(SN).split('\n').length, 3)
    assert.equal(safetyNumberText(SN).split('\n')[0], '12345 67890 12345 67890')
  })

  test('comparison ignores spacing but not digits', () => {
    assert.equal(safetyNumbersMatch(safetyNumberText(SN), SN), true)
    assert.equal(safetyNumbersMatch(SN.replace(/^1/, '2'), SN), false)
    assert.equal(safetyNumbersMatch('', SN), false)
  })
})
