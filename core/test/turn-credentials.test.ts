/**
 * TURN credentials (core/src/turn): coturn's REST-style password matches a vector computed with
 * openssl and node:crypto's HMAC-SHA1 on seeded inputs; the /wren/turn/1.0.0 frames round-trip,
 * and their parsers, fed random bytes and mutations of valid frames, only throw typed errors and
 * refuse what breaks a rule (credentials in a refusal, a password of the wrong length, a URL
 * that is not turn:).
 */
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { describe, test } from 'node:test'
import { fuzzDecoder } from '../../test/fixtures/fuzz.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { toHex } from '../src/bytes.ts'
import { DecodeError } from '../src/errors.ts'
import { TurnResponse as TurnResponseProto } from '../src/proto/turn.ts'
import {
  MAX_TURN_REQUEST_BYTES,
  MAX_TURN_RESPONSE_BYTES,
  TURN_PASSWORD_CHARS,
} from '../src/turn/constants.ts'
import { toBase64, turnPassword, turnUsername } from '../src/turn/credentials.ts'
import {
  decodeTurnRequest,
  decodeTurnResponse,
  encodeTurnRequest,
  encodeTurnResponse,
  TURN_STATUS_OK,
  TURN_STATUS_RATE_LIMITED,
  type TurnResponse,
} from '../src/turn/wire.ts'

const PEER = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
const random = seededRandom('turn-credentials')

describe('TURN REST credentials', () => {
  test('the password of a known username matches openssl’s HMAC-SHA1 in base64', () => {
    const username = turnUsername(1_700_000_000, PEER)
    assert.equal(username, `1700000000:${PEER}`)
    // printf '%s' "$username" | openssl dgst -sha1 -hmac wren-turn-test-secret -binary | base64
    assert.equal(turnPassword('wren-turn-test-secret', username), 'k3M7uZHwTlTpR4HXgICZD+d4xP0=')
  })

  test('passwords agree with node:crypto on seeded secrets and usernames, always 28 characters', () => {
    for (let i = 0; i < 200; i++) {
      const secret = toHex(random(32))
      const username = turnUsername(i * 7919, `peer${toHex(random(1 + (i % 40)))}`)
      const expected = createHmac('sha1', secret).update(username).digest('base64')
      const password = turnPassword(secret, username)
      assert.equal(password, expected)
      assert.equal(password.length, TURN_PASSWORD_CHARS)
    }
    for (let n = 0; n < 40; n++) {
      const bytes = random(n)
      assert.equal(toBase64(bytes), Buffer.from(bytes).toString('base64'))
    }
  })

  test('a username refuses a colon in the peer id, a negative expiry or an overlong result', () => {
    assert.throws(() => turnUsername(1, 'a:b'), RangeError)
    assert.throws(() => turnUsername(-1, PEER), RangeError)
    assert.throws(() => turnUsername(1.5, PEER), RangeError)
    assert.throws(() => turnUsername(1, 'x'.repeat(200)), RangeError)
  })
})

describe('/wren/turn/1.0.0 frames', () => {
  const ok: TurnResponse = {
    status: TURN_STATUS_OK,
    username: `1700000000:${PEER}`,
    password: 'k3M7uZHwTlTpR4HXgICZD+d4xP0=',
    expiresAtS: 1_700_000_000,
    urls: [
      'turn:127.0.0.1:3478?transport=udp',
      'turn:[::1]:3478?transport=tcp',
      'turn:relay.example.org:3478',
    ],
  }

  test('requests and responses round-trip', () => {
    assert.deepEqual(decodeTurnRequest(encodeTurnRequest()), { version: 1 })
    assert.deepEqual(decodeTurnResponse(encodeTurnResponse(ok)), ok)
    const limited = { status: TURN_STATUS_RATE_LIMITED, retryAfterMs: 60_000 }
    assert.deepEqual(decodeTurnResponse(encodeTurnResponse(limited)), limited)
  })

  test('responses breaking a rule are refused', () => {
    const bad = (patch: Record<string, unknown>) =>
      TurnResponseProto.encode({
        status: 0,
        username: `1700000000:${PEER}`,
        password: 'k3M7uZHwTlTpR4HXgICZD+d4xP0=',
        expiresAt: 1_700_000_000,
        urls: ['turn:127.0.0.1:3478'],
        retryAfterMs: 0,
        ...patch,
      })
    assert.doesNotThrow(() => decodeTurnResponse(bad({})))
    for (const patch of [
      { status: 1 }, // credentials in a refusal
      { status: 99 },
      { password: 'short' },
      { username: `1800000000:${PEER}` }, // expiry differs from the one announced
      { urls: [] },
      { urls: ['stun:127.0.0.1:3478'] },
      { urls: ['turn:evil.example/"><script>'] },
      { urls: Array.from({ length: 7 }, () => 'turn:127.0.0.1:3478') },
    ])
      assert.throws(() => decodeTurnResponse(bad(patch)), DecodeError, JSON.stringify(patch))
    assert.throws(() => decodeTurnRequest(new Uint8Array(MAX_TURN_REQUEST_BYTES + 1)), DecodeError)
    assert.throws(() => decodeTurnRequest(Uint8Array.of(0x08, 0x02)), DecodeError) // version 2
    assert.throws(() => decodeTurnResponse(new Uint8Array(MAX_TURN_RESPONSE_BYTES + 1)), DecodeError)
  })

  test('fuzzed frames only throw typed errors, and most random input is refused', () => {
    const req = fuzzDecoder(decodeTurnRequest, { seed: 'turn-request', samples: [encodeTurnRequest()] })
    const res = fuzzDecoder(decodeTurnResponse, {
      seed: 'turn-response',
      samples: [encodeTurnResponse(ok), encodeTurnResponse({ status: 1, retryAfterMs: 5 })],
    })
    for (const r of [req, res]) assert.ok(r.rejected > r.accepted, JSON.stringify(r))
  })
})
