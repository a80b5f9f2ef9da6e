import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { fromBase64url, toBase64url } from '../../core/src/base64url.ts'
import { DecodeError } from '../../core/src/errors.ts'
import {
  decodeLinkCode,
  encodeLinkCode,
  LINK_CODE_PREFIX,
  MAX_LINK_ADDRS,
  MAX_LINK_CODE_CHARS,
} from '../../core/src/link-code.ts'
import { deriveLinkKeys } from '../../core/src/link-handshake.ts'
import { fuzzDecoder } from '../../test/fixtures/fuzz.ts'
import { seededSuite } from '../../test/fixtures/seeded-random.ts'

const suite = seededSuite('link-code')
const addr = new Uint8Array([4, 127, 0, 0, 1, 6, 0x1f, 0x90]) // /ip4/127.0.0.1/tcp/8080

function makeCode() {
  const eph = suite.x25519Generate()
  const fields = {
    peerId: suite.randomBytes(38),
    deviceKey: suite.ed25519Generate().publicKey,
    ephemeralKey: eph.publicKey,
    addrs: [addr],
  }
  return { fields, eph, text: encodeLinkCode(fields) }
}

describe('link code', () => {
  test('a code round-trips and stays small enough for a QR code', () => {
    const { fields, text } = makeCode()
    assert.ok(text.startsWith(LINK_CODE_PREFIX))
    assert.ok(text.length < 200, `${text.length} chars`)
    const { code } = decodeLinkCode(text)
    assert.deepEqual(code.deviceKey, fields.deviceKey)
    assert.deepEqual(code.ephemeralKey, fields.ephemeralKey)
    assert.deepEqual(code.addrs, [addr])
  })

  test('an over-long code, a foreign prefix and too many addresses are refused', () => {
    assert.throws(() => decodeLinkCode(`${LINK_CODE_PREFIX}${'A'.repeat(MAX_LINK_CODE_CHARS)}`), DecodeError)
    assert.throws(() => decodeLinkCode(`wren:${makeCode().text.slice(LINK_CODE_PREFIX.length)}`), DecodeError)
    const { fields } = makeCode()
    assert.throws(
      () => encodeLinkCode({ ...fields, addrs: Array(MAX_LINK_ADDRS + 1).fill(addr) }),
      RangeError,
    )
  })

  test('fuzzed code strings only ever give typed errors, and most are refused', () => {
    const sample = fromBase64url(makeCode().text.slice(LINK_CODE_PREFIX.length))
    const result = fuzzDecoder((bytes) => decodeLinkCode(`${LINK_CODE_PREFIX}${toBase64url(bytes)}`), {
      seed: 'link-code',
      runs: 300,
      maxLength: 600,
      samples: [sample],
    })
    assert.ok(result.rejected > result.accepted, `${result.rejected} refused, ${result.accepted} accepted`)
  })
})

describe('link handshake', () => {
  test('both sides derive the same keys and number; another code or primary gives another number', () => {
    const { eph, text } = makeCode()
    const { bytes } = decodeLinkCode(text)
    const primary = suite.x25519Generate()
    const primaryPeerId = suite.randomBytes(38)
    const onPrimary = deriveLinkKeys(suite, {
      ownSecret: primary.secretKey,
      peerPublic: eph.publicKey,
      codeBytes: bytes,
      primaryEphemeral: primary.publicKey,
      primaryPeerId,
    })
    const onNew = deriveLinkKeys(suite, {
      ownSecret: eph.secretKey,
      peerPublic: primary.publicKey,
      codeBytes: bytes,
      primaryEphemeral: primary.publicKey,
      primaryPeerId,
    })
    assert.deepEqual(onPrimary, onNew)
    assert.match(onNew.confirmation, /^\d{6}$/)
    const otherPeer = deriveLinkKeys(suite, {
      ownSecret: eph.secretKey,
      peerPublic: primary.publicKey,
      codeBytes: bytes,
      primaryEphemeral: primary.publicKey,
      primaryPeerId: suite.randomBytes(38),
    })
    assert.notDeepEqual(otherPeer.primaryToNew, onNew.primaryToNew)
    const changedCode = bytes.slice()
    changedCode[changedCode.length - 1] = (changedCode.at(-1) ?? 0) ^ 1
    const otherCode = deriveLinkKeys(suite, {
      ownSecret: eph.secretKey,
      peerPublic: primary.publicKey,
      codeBytes: changedCode,
      primaryEphemeral: primary.publicKey,
      primaryPeerId,
    })
    assert.notDeepEqual(otherCode.newToPrimary, onNew.newToPrimary)
  })
})
