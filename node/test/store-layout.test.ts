/**
 * One store layout: every key prefix and fixed key of the profile database is written in
 * node/src/storage/layout.ts and nowhere else. Read from the source tree: no other node/src file
 * has a string or template literal that starts with one of layout.ts's prefixes or fixed keys
 * (comments are left out, so a doc may still name a prefix).
 */
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { describe, test } from 'node:test'
import { FILE_PREFIXES, FIXED_KEYS, GROUP_PREFIXES, PREFIXES } from '../src/storage/layout.ts'

const SRC = join(import.meta.dirname, '../src')
const LAYOUT = 'storage/layout.ts'

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await sourceFiles(path)))
    else if (entry.name.endsWith('.ts')) out.push(path)
  }
  return out
}

/** The source without its comments: block comments, and line comments that start a line. */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
const keys = [
  ...Object.values(PREFIXES),
  ...Object.values(GROUP_PREFIXES),
  ...Object.values(FILE_PREFIXES),
  ...Object.values(FIXED_KEYS),
]
/** A literal that opens with a layout key: 'k/…', `gk/${…}`, "identity/profile". */
const literal = new RegExp(`['"\`](${keys.map(escapeRegExp).join('|')})`)

function strayKeys(source: string): string[] {
  return withoutComments(source)
    .split('\n')
    .filter((line) => literal.test(line))
    .map((line) => line.trim())
}

describe('store layout (node/src/storage/layout.ts)', () => {
  test('no node/src file outside layout.ts writes a key prefix or fixed key of the profile database', async () => {
    const found: string[] = []
    for (const file of await sourceFiles(SRC)) {
      const name = relative(SRC, file)
      if (name === LAYOUT) continue
      for (const line of strayKeys(await readFile(file, 'utf8'))) found.push(`${name}: ${line}`)
    }
    assert.deepEqual(found, [], 'key prefixes written outside storage/layout.ts')
  })

  test('the scan finds a prefix written by hand, not one named in a comment (it is not vacuous)', () => {
    assert.deepEqual(strayKeys("  for await (const r of store.all<GroupRecord>('g/'))"), [
      "for await (const r of store.all<GroupRecord>('g/'))",
    ])
    assert.equal(strayKeys(`    return ${'`'}gk/${'$'}{this.vault.blind(id)}${'`'}`).length, 1)
    assert.equal(strayKeys("const k = 'identity/profile'").length, 1)
    assert.deepEqual(strayKeys("/** the sessions ('s/') */\n// index ('x/')\nconst p = PREFIXES.session"), [])
  })
})
