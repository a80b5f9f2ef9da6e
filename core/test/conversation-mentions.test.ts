/**
 * Mentions (core/src/conversation/mentions.ts): `@name` resolves to the one member so named,
 * longest name first, case-insensitively, at word boundaries only; shared names, e-mail addresses
 * and unknown names resolve to nobody; the cap holds; and random texts (fast-check, seeded) never
 * throw and only ever name candidates.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { MAX_MENTION_NAME_CHARS, resolveMentions } from '../src/conversation/mentions.ts'

const ann = { userId: 'uann', name: 'Ann' }
const annLee = { userId: 'uannlee', name: 'Ann Lee' }
const ben = { userId: 'uben', name: 'Ben' }
const members = [ann, annLee, ben]

describe('resolveMentions', () => {
  test('an @name names its member, case-insensitively, in order of first mention, once', () => {
    assert.deepEqual(resolveMentions('@ben and @ANN, then @Ben again', members, 50), ['uben', 'uann'])
  })

  test('the longest name wins, and a name must end at a word boundary', () => {
    assert.deepEqual(resolveMentions('hi @Ann Lee!', members, 50), ['uannlee'])
    assert.deepEqual(resolveMentions('hi @Annabel', members, 50), [])
    assert.deepEqual(resolveMentions('hi @Ann Leeds', members, 50), ['uann'])
  })

  test('an @ inside a word (an e-mail address) mentions nobody; a user id names its member', () => {
    assert.deepEqual(resolveMentions('write to ben@example.org', members, 50), [])
    assert.deepEqual(resolveMentions('ping @uben please', members, 50), ['uben'])
  })

  test('a name two members share resolves to nobody; so do empty names', () => {
    const twins = [ann, { userId: 'uann2', name: 'ann' }, { userId: 'unoname', name: '  ' }]
    assert.deepEqual(resolveMentions('@Ann @ hello', twins, 50), [])
  })

  test('at most `max` members are returned', () => {
    const many = Array.from({ length: 20 }, (_, i) => ({ userId: `u${i}`, name: `m${i}` }))
    const text = many.map((m) => `@${m.name}`).join(' ')
    assert.deepEqual(resolveMentions(text, many, 5), ['u0', 'u1', 'u2', 'u3', 'u4'])
  })

  test('names longer than the cap are never matched', () => {
    const long = { userId: 'ulong', name: 'x'.repeat(MAX_MENTION_NAME_CHARS + 1) }
    assert.deepEqual(resolveMentions(`@${long.name}`, [long], 50), [])
  })

  test('random texts and names never throw and name only candidates (seeded)', () => {
    const ids = new Set(members.map((m) => m.userId))
    fc.assert(
      fc.property(
        fc.string({ maxLength: 400, unit: 'grapheme' }),
        fc.array(fc.string({ maxLength: 70 })),
        (text, names) => {
          const candidates = [...members, ...names.map((name, i) => ({ userId: `r${i}`, name }))]
          const out = resolveMentions(`${text} @${names[0] ?? ''}`, candidates, 50)
          for (const u of out) assert.ok(ids.has(u) || u.startsWith('r'))
          assert.equal(new Set(out).size, out.length)
          assert.ok(out.length <= 50)
        },
      ),
      { seed: 17, numRuns: 300 },
    )
  })
})
