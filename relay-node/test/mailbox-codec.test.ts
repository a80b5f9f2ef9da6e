import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { concatBytes, utf8 } from '../../core/src/bytes.ts'
import { DecodeError, InvalidSignatureError } from '../../core/src/errors.ts'
import {
  decodeCursor,
  decodeMailboxRequest,
  decodeMailboxResponse,
  decodeReceipt,
  ed25519PeerIdBytes,
  ed25519PublicKeyFromPeerId,
  encodeCursor,
  encodeMailboxRequest,
  encodeMailboxResponse,
  encodeReceipt,
  inboxIdFromPublicKey,
  KIND_ACK,
  KIND_CHALLENGE,
  KIND_CLAIM_PREKEY,
  KIND_DEPOSIT,
  KIND_DEPOSIT_BATCH,
  KIND_FETCH,
  KIND_REGISTER,
  KIND_UPLOAD_PREKEYS,
  MAX_ACK_HASHES,
  type MailboxReceipt,
  type MailboxRequest,
  type MailboxResponse,
  RECEIPT_VERSION,
  receiptSigningInput,
  STATUS_OK,
  STATUS_RATE_LIMITED,
  verifyReceipt,
} from '../../core/src/mailbox/index.ts'
import { loadRelayConfig } from '../../relay-node/src/config.ts'
import { ConfigError } from '../../relay-node/src/errors.ts'
import { RateLimiter } from '../../relay-node/src/rate-limiter.ts'
import { fuzzDecoder } from '../../test/fixtures/fuzz.ts'
import { seededRandom, seededSuite } from '../../test/fixtures/seeded-random.ts'

const suite = seededSuite('mailbox-codec')
const random = seededRandom('mailbox-codec-bytes')

const requests: MailboxRequest[] = [
  { kind: KIND_CHALLENGE, requestId: 1 },
  { kind: KIND_REGISTER, requestId: 2, inboxPublicKey: random(32), nonce: random(32), signature: random(64) },
  { kind: KIND_DEPOSIT, requestId: 3, inboxId: random(16), envelope: random(300) },
  {
    kind: KIND_FETCH,
    requestId: 4,
    inboxId: random(16),
    nonce: random(32),
    signature: random(64),
    cursor: encodeCursor(7),
    limit: 10,
  },
  {
    kind: KIND_ACK,
    requestId: 5,
    inboxId: random(16),
    nonce: random(32),
    signature: random(64),
    hashes: [random(32)],
  },
  {
    kind: KIND_UPLOAD_PREKEYS,
    requestId: 6,
    inboxId: random(16),
    nonce: random(32),
    signature: random(64),
    prekeys: [random(100), random(50)],
  },
  { kind: KIND_CLAIM_PREKEY, requestId: 7, inboxId: random(16) },
  {
    kind: KIND_DEPOSIT_BATCH,
    requestId: 8,
    inboxId: random(16),
    envelopes: [random(300), random(120), random(40)],
  },
  {
    kind: KIND_FETCH,
    requestId: 9,
    inboxId: random(16),
    nonce: random(32),
    signature: random(64),
    cursor: encodeCursor(8),
    limit: 256,
    hashesOnly: true,
  },
]

function signedReceipt(): { receipt: MailboxReceipt; publicKey: Uint8Array } {
  const relayKey = suite.ed25519Generate()
  const unsigned = {
    version: RECEIPT_VERSION,
    inboxId: random(16),
    envelopeHash: random(32),
    relayPeerId: ed25519PeerIdBytes(relayKey.publicKey),
    storedAt: 1_700_000_000_000,
    expiresAt: 1_700_000_000_000 + 1000,
  }
  return {
    receipt: { ...unsigned, signature: suite.ed25519Sign(relayKey.secretKey, receiptSigningInput(unsigned)) },
    publicKey: relayKey.publicKey,
  }
}

describe('mailbox wire format', () => {
  test('every request kind round-trips through encode/decode', () => {
    for (const request of requests)
      assert.deepEqual(decodeMailboxRequest(encodeMailboxRequest(request)), request)
  })

  test('a request with no body, two bodies, a wrong version or too many ack hashes is a DecodeError', () => {
    assert.throws(() => decodeMailboxRequest(new Uint8Array(0)), DecodeError)
    const two = concatBytes(
      encodeMailboxRequest(requests[0] as MailboxRequest),
      encodeMailboxRequest(requests[6] as MailboxRequest),
    )
    assert.throws(() => decodeMailboxRequest(two), DecodeError)
    const manyHashes = encodeMailboxRequest({
      ...(requests[4] as Extract<MailboxRequest, { kind: typeof KIND_ACK }>),
      hashes: Array.from({ length: MAX_ACK_HASHES + 1 }, () => random(32)),
    })
    assert.throws(() => decodeMailboxRequest(manyHashes), DecodeError)
    const badInbox = encodeMailboxRequest({ kind: KIND_CLAIM_PREKEY, requestId: 1, inboxId: random(15) })
    assert.throws(() => decodeMailboxRequest(badInbox), DecodeError)
  })

  test('a response round-trips and an unknown status is a DecodeError', () => {
    const { receipt } = signedReceipt()
    const response = {
      requestId: 9,
      status: STATUS_OK,
      retryAfterMs: 0,
      receipt,
      fetch: {
        envelopes: [{ hash: random(32), envelope: random(40), storedAt: 5, expiresAt: 6 }],
        nextCursor: encodeCursor(1),
        more: false,
        prekeysRemaining: 3,
      },
    } satisfies MailboxResponse
    const decoded = decodeMailboxResponse(encodeMailboxResponse(response))
    assert.deepEqual(decoded.receipt, receipt)
    assert.deepEqual(decoded.fetch, response.fetch)
    const limited = decodeMailboxResponse(
      encodeMailboxResponse({ requestId: 1, status: STATUS_RATE_LIMITED, retryAfterMs: 900 }),
    )
    assert.equal(limited.retryAfterMs, 900)
    assert.throws(
      () =>
        decodeMailboxResponse(
          encodeMailboxResponse({ requestId: 1, status: 99 as typeof STATUS_OK, retryAfterMs: 0 }),
        ),
      DecodeError,
    )
  })

  test('inbox id is the first 16 bytes of SHA-256(utf8("wren/inbox/v1") ‖ public key)', () => {
    const key = random(32)
    assert.deepEqual(
      inboxIdFromPublicKey(suite, key),
      suite.sha256(concatBytes(utf8('wren/inbox/v1'), key)).slice(0, 16),
    )
  })

  test('Ed25519 PeerId bytes built in core round-trip to the raw key; other ids give undefined', () => {
    const key = random(32)
    assert.deepEqual(ed25519PublicKeyFromPeerId(ed25519PeerIdBytes(key)), key)
    assert.equal(ed25519PublicKeyFromPeerId(random(34)), undefined)
  })

  test('a receipt verifies; a changed field, another relay key or another envelope hash does not', () => {
    const { receipt, publicKey } = signedReceipt()
    verifyReceipt(suite, decodeReceipt(encodeReceipt(receipt)), {
      relayPublicKey: publicKey,
      inboxId: receipt.inboxId,
    })
    assert.throws(
      () =>
        verifyReceipt(suite, { ...receipt, expiresAt: receipt.expiresAt + 1 }, { relayPublicKey: publicKey }),
      InvalidSignatureError,
    )
    assert.throws(() => verifyReceipt(suite, receipt, { relayPublicKey: random(32) }), InvalidSignatureError)
    assert.throws(
      () => verifyReceipt(suite, receipt, { relayPublicKey: publicKey, envelopeHash: random(32) }),
      InvalidSignatureError,
    )
  })

  test('cursors round-trip; the empty cursor is the start', () => {
    assert.equal(decodeCursor(encodeCursor(123456789)), 123456789)
    assert.equal(decodeCursor(new Uint8Array(0)), 0)
    assert.throws(() => decodeCursor(new Uint8Array(8).fill(0xff)), DecodeError)
  })
})

describe('mailbox decoders under fuzzing (random, truncated and bit-flipped bytes give only typed errors)', () => {
  test('decodeMailboxRequest', () => {
    fuzzDecoder(decodeMailboxRequest, {
      seed: 'mailbox-request',
      samples: requests.map(encodeMailboxRequest),
    })
  })
  test('decodeMailboxResponse', () => {
    const { receipt } = signedReceipt()
    const samples = [
      encodeMailboxResponse({ requestId: 1, status: STATUS_OK, retryAfterMs: 0, receipt }),
      encodeMailboxResponse({
        requestId: 2,
        status: STATUS_OK,
        retryAfterMs: 0,
        fetch: {
          envelopes: [{ hash: random(32), envelope: random(60), storedAt: 1, expiresAt: 2 }],
          nextCursor: encodeCursor(3),
          more: true,
          prekeysRemaining: 0,
        },
      }),
      encodeMailboxResponse({
        requestId: 3,
        status: STATUS_OK,
        retryAfterMs: 0,
        challenge: { nonce: random(32), expiresAt: 4 },
      }),
      encodeMailboxResponse({
        requestId: 4,
        status: STATUS_OK,
        retryAfterMs: 0,
        depositBatch: { receipts: [receipt, receipt] },
      }),
    ]
    fuzzDecoder(decodeMailboxResponse, { seed: 'mailbox-response', samples })
  })
  test('decodeReceipt', () => {
    fuzzDecoder(decodeReceipt, { seed: 'mailbox-receipt', samples: [encodeReceipt(signedReceipt().receipt)] })
  })
})

describe('relay building blocks', () => {
  test('a token bucket limits one key without touching another, and refills with the clock', () => {
    let now = 0
    const limiter = new RateLimiter({ burst: 2, ratePerSecond: 1, clock: () => now })
    assert.equal(limiter.take('a').allowed, true)
    assert.equal(limiter.take('a').allowed, true)
    const refused = limiter.take('a')
    assert.equal(refused.allowed, false)
    assert.equal(!refused.allowed && refused.retryAfterMs, 1000)
    assert.equal(limiter.take('b').allowed, true)
    now += 1000
    assert.equal(limiter.take('a').allowed, true)
  })

  test('a token bucket forgets the least recently used key past maxKeys', () => {
    const limiter = new RateLimiter({ burst: 1, ratePerSecond: 0, clock: () => 0, maxKeys: 2 })
    limiter.take('a')
    limiter.take('b')
    limiter.take('c')
    assert.equal(limiter.size, 2)
  })

  test('config: env overrides the file, unknown keys and bad values are a ConfigError', () => {
    const config = loadRelayConfig({
      env: { WREN_RELAY_DATA_DIR: '/tmp/x', WREN_RELAY_TCP_PORT: '5000', WREN_RELAY_HOST: '127.0.0.1' },
      overrides: { mailbox: { maxEnvelopesPerInbox: 7 } },
    })
    assert.equal(config.dataDir, '/tmp/x')
    assert.equal(config.listen.tcpPort, 5000)
    assert.equal(config.listen.host, '127.0.0.1')
    assert.equal(config.mailbox.maxEnvelopesPerInbox, 7)
    assert.throws(() => loadRelayConfig({ overrides: { mailbox: { typo: 1 } } as never }), ConfigError)
    assert.throws(() => loadRelayConfig({ env: { WREN_RELAY_TCP_PORT: 'x' } }), ConfigError)
    assert.throws(() => loadRelayConfig({ overrides: { listen: { tcpPort: 70000 } } }), ConfigError)
  })
})
