import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { sniffImageType } from '../src/files/image-sniff.ts'
import { contentDisposition, uploadNameProblem } from '../src/rpc/handlers/attachments-http.ts'

const bytes = (...b: number[]) => Uint8Array.from(b)
const ascii = (s: string) => new TextEncoder().encode(s)

describe('attachments endpoint parts: image sniffing, upload names, Content-Disposition', () => {
  test('the four image signatures are recognised by their bytes; SVG, HTML and truncations are not images', () => {
    assert.equal(sniffImageType(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0)), 'image/png')
    assert.equal(sniffImageType(bytes(0xff, 0xd8, 0xff, 0xe0)), 'image/jpeg')
    assert.equal(sniffImageType(ascii('GIF89a....')), 'image/gif')
    assert.equal(sniffImageType(ascii('GIF87a')), 'image/gif')
    assert.equal(sniffImageType(ascii('RIFF\x10\x00\x00\x00WEBPVP8 ')), 'image/webp')
    assert.equal(sniffImageType(ascii('RIFF\x10\x00\x00\x00WAVEfmt ')), null, 'a RIFF that is not WebP')
    assert.equal(sniffImageType(ascii('<svg xmlns="http://www.w3.org/2000/svg"/>')), null)
    assert.equal(sniffImageType(ascii('<html><script>')), null)
    assert.equal(sniffImageType(bytes(0x89, 0x50, 0x4e, 0x47)), null, 'a truncated PNG signature')
    assert.equal(sniffImageType(new Uint8Array(0)), null)
  })

  test('fuzz: random bytes never throw, and only inputs with a signature are images', () => {
    const random = seededRandom('image-sniff-fuzz')
    let images = 0
    for (let i = 0; i < 5000; i++) {
      const input = random((random(1)[0] as number) % 32)
      const type = sniffImageType(input)
      if (type !== null) {
        images++
        const head = Buffer.from(input.subarray(0, 12))
        assert.ok(
          head[0] === 0x89 ||
            head[0] === 0xff ||
            head.subarray(0, 3).toString('latin1') === 'GIF' ||
            head.subarray(0, 4).toString('latin1') === 'RIFF',
          'an image has a signature',
        )
      }
    }
    // three random bytes start a JPEG about once in 16 million: none here
    assert.equal(images, 0)
  })

  test('an upload name is one path component of at most 255 bytes', () => {
    assert.equal(uploadNameProblem('holiday photo.png'), null)
    assert.equal(uploadNameProblem('é'.repeat(127)), null)
    assert.match(uploadNameProblem('é'.repeat(128)) ?? '', /over 255 bytes/)
    for (const bad of ['', '.', '..', 'a/b', '../x', 'a\\b', 'nul\0byte'])
      assert.notEqual(uploadNameProblem(bad), null, JSON.stringify(bad))
  })

  test('Content-Disposition carries an ASCII fallback and the UTF-8 name, with no quote or line break injected', () => {
    assert.equal(
      contentDisposition('attachment', 'report.pdf'),
      `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`,
    )
    const tricky = contentDisposition('inline', 'a"b\r\nSet-Cookie: x=1 ü.png')
    assert.doesNotMatch(tricky, /[\r\n]/)
    assert.equal(tricky.split('"').length, 3, 'only the fallback’s own quotes')
    assert.match(tricky, /filename\*=UTF-8''a%22b%0D%0ASet-Cookie%3A%20x%3D1%20%C3%BC\.png$/)
  })
})
