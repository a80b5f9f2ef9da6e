import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { KeyPair } from '../../core/src/crypto/suite.ts'
import {
  CHALLENGE_TTL_MS,
  decodeMailboxResponse,
  encodeMailboxRequest,
  generateInboxKeyPair,
  inboxIdFromPublicKey,
  KIND_ACK,
  KIND_CHALLENGE,
  KIND_FETCH,
  MAILBOX_PROTOCOL,
  MAX_RESPONSE_BYTES,
  type MailboxRequest,
  type MailboxResponse,
  type OwnerOperation,
  STATUS_MALFORMED,
  STATUS_OK,
  STATUS_UNAUTHORIZED,
  signMailboxAuth,
} from '../../core/src/mailbox/index.ts'
import { MailboxClient } from '../../node/src/mailbox/mailbox-client.ts'
import { sendRequest } from '../../node/src/p2p/request-response.ts'
import { startTestNode, type TestNode } from '../../test/fixtures/libp2p.ts'
import { startTestRelay, type TestRelay, testEnvelope } from '../../test/fixtures/relay.ts'
import { seededRandom, seededSuite } from '../../test/fixtures/seeded-random.ts'

const suite = seededSuite('mailbox-auth')
const random = seededRandom('mailbox-auth-envelopes')
let nextRequestId = 1

describe('mailbox owner authentication', () => {
  let now = 1_700_000_000_000
  let relay: TestRelay
  let owner: TestNode
  let stranger: TestNode
  let ownerClient: MailboxClient
  let inboxKey: KeyPair
  let inboxId: Uint8Array

  async function raw(node: TestNode, request: MailboxRequest): Promise<MailboxResponse> {
    const result = await sendRequest(
      node,
      relay.multiaddrs,
      MAILBOX_PROTOCOL,
      encodeMailboxRequest(request),
      {
        maxResponseBytes: MAX_RESPONSE_BYTES,
        timeoutMs: 5000,
      },
    )
    assert.ok(result.ok, JSON.stringify(result))
    return decodeMailboxResponse(result.response)
  }

  async function challenge(node: TestNode): Promise<Uint8Array> {
    const res = await raw(node, { kind: KIND_CHALLENGE, requestId: nextRequestId++ })
    assert.equal(res.status, STATUS_OK)
    return res.challenge?.nonce as Uint8Array
  }

  function sign(key: KeyPair, nonce: Uint8Array, operation: OwnerOperation, forInbox = inboxId): Uint8Array {
    return signMailboxAuth(suite, key.secretKey, {
      relayPeerId: relay.peerId.toMultihash().bytes,
      inboxId: forInbox,
      nonce,
      operation,
    })
  }

  const fetchRequest = (nonce: Uint8Array, signature: Uint8Array): MailboxRequest => ({
    kind: KIND_FETCH,
    requestId: nextRequestId++,
    inboxId,
    nonce,
    signature,
    cursor: new Uint8Array(0),
    limit: 10,
  })

  before(async () => {
    relay = await startTestRelay({ clock: () => now })
    owner = await startTestNode()
    stranger = await startTestNode()
    ownerClient = new MailboxClient({ libp2p: owner, suite, relay: relay.peerId, addrs: relay.multiaddrs })
    inboxKey = generateInboxKeyPair(suite)
    inboxId = inboxIdFromPublicKey(suite, inboxKey.publicKey)
    assert.ok((await ownerClient.register(inboxKey)).ok)
    assert.ok((await ownerClient.deposit(inboxId, testEnvelope(random))).ok)
  })

  after(async () => {
    await Promise.all([owner?.stop(), stranger?.stop()])
    await relay?.stop()
  })

  test('the owner fetches with a correctly signed fresh challenge', async () => {
    const nonce = await challenge(owner)
    const res = await raw(owner, fetchRequest(nonce, sign(inboxKey, nonce, KIND_FETCH)))
    assert.equal(res.status, STATUS_OK)
    assert.equal(res.fetch?.envelopes.length, 1)
  })

  test('fetch signed with another key is refused as unauthorized', async () => {
    const nonce = await challenge(stranger)
    const res = await raw(stranger, fetchRequest(nonce, sign(generateInboxKeyPair(suite), nonce, KIND_FETCH)))
    assert.equal(res.status, STATUS_UNAUTHORIZED)
    assert.equal(res.fetch, undefined)
  })

  test('a replayed challenge signature is refused: each nonce is single use', async () => {
    const nonce = await challenge(owner)
    const signature = sign(inboxKey, nonce, KIND_FETCH)
    assert.equal((await raw(owner, fetchRequest(nonce, signature))).status, STATUS_OK)
    const replay = await raw(owner, fetchRequest(nonce, signature))
    assert.equal(replay.status, STATUS_UNAUTHORIZED)
  })

  test('a valid owner signature sent from another connection (PeerId) is refused', async () => {
    const nonce = await challenge(owner)
    const res = await raw(stranger, fetchRequest(nonce, sign(inboxKey, nonce, KIND_FETCH)))
    assert.equal(res.status, STATUS_UNAUTHORIZED)
  })

  test('a signature made for fetch cannot authorize an ack', async () => {
    const nonce = await challenge(owner)
    const res = await raw(owner, {
      kind: KIND_ACK,
      requestId: nextRequestId++,
      inboxId,
      nonce,
      signature: sign(inboxKey, nonce, KIND_FETCH),
      hashes: [],
    })
    assert.equal(res.status, STATUS_UNAUTHORIZED)
  })

  test('an expired challenge is refused (injected clock past CHALLENGE_TTL_MS)', async () => {
    const nonce = await challenge(owner)
    now += CHALLENGE_TTL_MS + 1
    const res = await raw(owner, fetchRequest(nonce, sign(inboxKey, nonce, KIND_FETCH)))
    assert.equal(res.status, STATUS_UNAUTHORIZED)
  })

  test('ack by a non-owner is refused and the envelope is still there', async () => {
    const page = await ownerClient.fetch(inboxKey)
    assert.ok(page.ok)
    const hashes = page.value.envelopes.map((e) => e.hash)
    const nonce = await challenge(stranger)
    const res = await raw(stranger, {
      kind: KIND_ACK,
      requestId: nextRequestId++,
      inboxId,
      nonce,
      signature: sign(generateInboxKeyPair(suite), nonce, KIND_ACK),
      hashes,
    })
    assert.equal(res.status, STATUS_UNAUTHORIZED)
    const after = await ownerClient.fetch(inboxKey)
    assert.ok(after.ok)
    assert.equal(after.value.envelopes.length, 1)
  })

  test('garbage request bytes on the wire get a MALFORMED answer, not a crash', async () => {
    const result = await sendRequest(stranger, relay.multiaddrs, MAILBOX_PROTOCOL, random(200), {
      maxResponseBytes: MAX_RESPONSE_BYTES,
      timeoutMs: 5000,
    })
    assert.ok(result.ok, JSON.stringify(result))
    assert.equal(decodeMailboxResponse(result.response).status, STATUS_MALFORMED)
    const nonce = await challenge(owner)
    assert.equal((await raw(owner, fetchRequest(nonce, sign(inboxKey, nonce, KIND_FETCH)))).status, STATUS_OK)
  })

  test('MailboxClient.fetch with the wrong inbox key reaches a different (unknown) inbox, not ours', async () => {
    const strangerClient = new MailboxClient({
      libp2p: stranger,
      suite,
      relay: relay.peerId,
      addrs: relay.multiaddrs,
    })
    const res = await strangerClient.fetch(generateInboxKeyPair(suite))
    assert.equal(!res.ok && res.reason, 'unknown_inbox')
  })
})
