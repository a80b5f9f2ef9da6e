import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { passphraseStrength } from '../src/logic/passphrase-strength.ts'

describe('passphrase strength meter', () => {
  test('below the minimum length is not acceptable whatever its characters', () => {
    const s = passphraseStrength('aB3$x')
    assert.equal(s.acceptable, false)
    assert.equal(s.label, 'Too short')
  })

  test('common passwords and sequences score as weak', () => {
    assert.ok(passphraseStrength('password1').score <= 1)
    assert.ok(passphraseStrength('abcdefghijk').score <= 1)
    assert.ok(passphraseStrength('aaaaaaaaaaaa').score <= 1)
  })

  test('four random words score strong and need no hint', () => {
    const s = passphraseStrength('copper lantern orbit meadow')
    assert.ok(s.score >= 3, `score ${s.score}`)
    assert.equal(s.hint, '')
  })

  test('longer passphrases never score lower than their prefixes of words', () => {
    const a = passphraseStrength('copper lantern')
    const b = passphraseStrength('copper lantern orbit')
    const c = passphraseStrength('copper lantern orbit meadow')
    assert.ok(a.bits <= b.bits && b.bits <= c.bits)
  })
})
