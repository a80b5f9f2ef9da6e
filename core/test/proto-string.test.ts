/**
 * Protobuf string fields: strict UTF-8 both ways (core/src/proto-string.ts), and every generated
 * codec goes through it rather than protons-runtime's own UTF-8 code.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { DecodeError } from '../src/errors.ts'
import { ContactCard } from '../src/proto/contact-card.ts'
import { decodeProtoString, encodeProtoString } from '../src/proto-string.ts'

const REPO_ROOT = new URL('../..', import.meta.url).pathname
const SOURCE_ROOTS = ['core/src', 'node/src', 'relay-node/src']

function generatedCodecs(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) generatedCodecs(path, out)
    else if (entry.endsWith('.proto')) out.push(path.replace(/\.proto$/, '.ts'))
  }
  return out
}

const hex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (h) => Number.parseInt(h, 16))

describe('protobuf string fields', () => {
  test('well-formed text of every plane round-trips to the same bytes as TextEncoder', () => {
    const text = 'a\u0000é中\uffff😀\u{10ffff}\ufeff end'
    const bytes = encodeProtoString(text)
    assert.deepEqual(bytes, new TextEncoder().encode(text))
    assert.equal(decodeProtoString(bytes), text)
  })

  test('a leading U+FEFF is text and is kept, not eaten as a byte-order mark', () => {
    assert.equal(decodeProtoString(hex('efbbbf41')), '\ufeffA')
  })

  test('a generated codec writes lone surrogates as U+FFFD, in short and long strings alike', () => {
    const empty = new Uint8Array(0)
    for (const displayName of ['\ud83d', `${'x'.repeat(100)}\udc00`, `\udc00${'😀'.repeat(50)}\ud800`]) {
      const bytes = ContactCard.encode({
        version: 0,
        userId: empty,
        identityKey: empty,
        displayName,
        devicePeerId: empty,
        addrs: [],
        createdAt: 0,
        signature: empty,
        successionOriginIdentityKey: empty,
        successionSignature: empty,
      })
      assert.equal(ContactCard.decode(bytes).displayName, displayName.toWellFormed())
    }
  })

  test('invalid UTF-8 is refused with DecodeError (overlong, surrogates, truncated, past U+10FFFF)', () => {
    for (const bad of [
      'c080',
      'e08080',
      'eda080',
      'edbfbf',
      'f09f98',
      'f4908080',
      'f888808080',
      'ff',
      '80',
      'c3',
    ]) {
      assert.throws(() => decodeProtoString(hex(bad)), DecodeError, bad)
    }
  })

  test('a generated codec refuses a string field that is not UTF-8', () => {
    // field 4 (displayName), wire type 2, length 3: an encoded surrogate (CESU-8)
    assert.throws(() => ContactCard.decode(hex('2203eda080')), DecodeError)
    assert.equal(ContactCard.decode(hex('2204f09f90a6')).displayName, '🐦')
  })

  test("no generated codec reads or writes strings with protons-runtime's UTF-8 code", () => {
    const codecs = SOURCE_ROOTS.flatMap((root) => generatedCodecs(join(REPO_ROOT, root)))
    assert.ok(codecs.length >= 10, `found ${codecs.length} generated codecs`)
    for (const file of codecs) {
      const source = readFileSync(file, 'utf8')
      assert.ok(!/reader\.string\(\)|\bw\.string\(/.test(source), `${file}: run npm run protos`)
    }
  })
})
