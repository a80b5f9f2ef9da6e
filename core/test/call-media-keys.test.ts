/**
 * The call media key schedule (core/src/call/media-keys.ts): fixed vectors computed outside the
 * code under test, both sides agree, the two directions differ, and every input is bound in.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { seededSuite } from '../../test/fixtures/seeded-random.ts'
import { fromHex, toHex } from '../src/bytes.ts'
import { deriveMediaKeys, type MediaKeyInput } from '../src/call/media-keys.ts'
import { createNobleSuite } from '../src/crypto/noble-suite.ts'
import type { KeyPair } from '../src/crypto/suite.ts'
import { CryptoError, InvalidKeyError } from '../src/errors.ts'

interface Vector {
  name: string
  callId: string
  callerSecret: string
  calleeSecret: string
  callerPublic: string
  calleePublic: string
  callerIdentityKey: string
  calleeIdentityKey: string
  callerToCallee: string
  calleeToCaller: string
}

const vectors = (
  JSON.parse(readFileSync(new URL('./vectors/call-media-keys.json', import.meta.url), 'utf8')) as {
    vectors: Vector[]
  }
).vectors

const suite = createNobleSuite(() => {
  throw new Error('no randomness needed')
})

function pair(secretHex: string): KeyPair {
  const secretKey = fromHex(secretHex)
  return { secretKey, publicKey: suite.x25519PublicKey(secretKey) }
}

describe('call media keys', () => {
  for (const v of vectors) {
    test(`fixed vector: ${v.name}`, () => {
      const caller = pair(v.callerSecret)
      const callee = pair(v.calleeSecret)
      assert.equal(toHex(caller.publicKey), v.callerPublic)
      assert.equal(toHex(callee.publicKey), v.calleePublic)
      const common = {
        callId: fromHex(v.callId),
        callerIdentityKey: fromHex(v.callerIdentityKey),
        calleeIdentityKey: fromHex(v.calleeIdentityKey),
      }
      const a = deriveMediaKeys(suite, {
        ...common,
        role: 'caller',
        own: caller,
        peerMediaKey: callee.publicKey,
      })
      const b = deriveMediaKeys(suite, {
        ...common,
        role: 'callee',
        own: callee,
        peerMediaKey: caller.publicKey,
      })
      assert.equal(toHex(a.sendKey), v.callerToCallee)
      assert.equal(toHex(a.receiveKey), v.calleeToCaller)
      assert.equal(toHex(b.sendKey), v.calleeToCaller)
      assert.equal(toHex(b.receiveKey), v.callerToCallee)
    })
  }

  test('both sides derive the same two keys and the directions differ (seeded random keys)', () => {
    const seeded = seededSuite('call-keys')
    for (let i = 0; i < 20; i++) {
      const caller = seeded.x25519Generate()
      const callee = seeded.x25519Generate()
      const common = {
        callId: seeded.randomBytes(16),
        callerIdentityKey: seeded.ed25519Generate().publicKey,
        calleeIdentityKey: seeded.ed25519Generate().publicKey,
      }
      const a = deriveMediaKeys(seeded, {
        ...common,
        role: 'caller',
        own: caller,
        peerMediaKey: callee.publicKey,
      })
      const b = deriveMediaKeys(seeded, {
        ...common,
        role: 'callee',
        own: callee,
        peerMediaKey: caller.publicKey,
      })
      assert.deepEqual(a.sendKey, b.receiveKey)
      assert.deepEqual(a.receiveKey, b.sendKey)
      assert.notDeepEqual(a.sendKey, a.receiveKey)
      assert.equal(a.sendKey.length, 32)
    }
  })

  test('any change of an input changes both keys', () => {
    const v = vectors[0] as Vector
    const caller = pair(v.callerSecret)
    const callee = pair(v.calleeSecret)
    const base: MediaKeyInput = {
      role: 'caller',
      callId: fromHex(v.callId),
      own: caller,
      peerMediaKey: callee.publicKey,
      callerIdentityKey: fromHex(v.callerIdentityKey),
      calleeIdentityKey: fromHex(v.calleeIdentityKey),
    }
    const flip = (bytes: Uint8Array, at = 0) => {
      const copy = bytes.slice()
      copy[at] = (copy[at] as number) ^ 1
      return copy
    }
    const other = pair('33'.repeat(32))
    const variants: Record<string, MediaKeyInput> = {
      'call id': { ...base, callId: flip(base.callId, 15) },
      'caller identity key': { ...base, callerIdentityKey: flip(base.callerIdentityKey) },
      'callee identity key': { ...base, calleeIdentityKey: flip(base.calleeIdentityKey) },
      'identity keys swapped': {
        ...base,
        callerIdentityKey: base.calleeIdentityKey,
        calleeIdentityKey: base.callerIdentityKey,
      },
      'our ephemeral key': { ...base, own: other },
      "the peer's ephemeral key": { ...base, peerMediaKey: other.publicKey },
      'the role': { ...base, role: 'callee' },
    }
    const reference = deriveMediaKeys(suite, base)
    for (const [what, input] of Object.entries(variants)) {
      const changed = deriveMediaKeys(suite, input)
      assert.notEqual(toHex(changed.sendKey), toHex(reference.sendKey), `${what}: send key unchanged`)
      assert.notEqual(
        toHex(changed.receiveKey),
        toHex(reference.receiveKey),
        `${what}: receive key unchanged`,
      )
    }
  })

  test('wrong key lengths are InvalidKeyError and a low-order peer key is CryptoError', () => {
    const v = vectors[0] as Vector
    const caller = pair(v.callerSecret)
    const base: MediaKeyInput = {
      role: 'caller',
      callId: fromHex(v.callId),
      own: caller,
      peerMediaKey: pair(v.calleeSecret).publicKey,
      callerIdentityKey: fromHex(v.callerIdentityKey),
      calleeIdentityKey: fromHex(v.calleeIdentityKey),
    }
    assert.throws(() => deriveMediaKeys(suite, { ...base, callId: new Uint8Array(15) }), InvalidKeyError)
    assert.throws(
      () => deriveMediaKeys(suite, { ...base, peerMediaKey: new Uint8Array(31) }),
      InvalidKeyError,
    )
    assert.throws(() => deriveMediaKeys(suite, { ...base, peerMediaKey: new Uint8Array(32) }), CryptoError)
  })
})
