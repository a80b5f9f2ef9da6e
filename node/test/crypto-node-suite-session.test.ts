/**
 * The node:crypto suite inside core's Double Ratchet: a party on the noble suite and a party on
 * the node suite hold one session. Here rather than in core/test because core does not import
 * node/ (the suites' byte-for-byte agreement is crypto-differential.test.ts).
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  initAsInitiator,
  initAsResponder,
  ratchetDecrypt,
  ratchetEncrypt,
} from '../../core/src/ratchet/index.ts'
import { seededRandom, seededSuite } from '../../test/fixtures/seeded-random.ts'
import { createNodeSuite } from '../src/crypto/node-suite.ts'

const text = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('ratchet sessions across suites', () => {
  test('a noble-suite party and a node-suite party hold a session, out-of-order messages included', () => {
    const noble = seededSuite('cross-noble')
    const node = createNodeSuite(seededRandom('cross-node'))
    const sharedSecret = noble.randomBytes(32)
    const associatedData = noble.randomBytes(64)
    const bobPrekey = node.x25519Generate()
    let a = initAsInitiator(noble, { sharedSecret, associatedData, remoteRatchetKey: bobPrekey.publicKey })
    let b = initAsResponder(node, { sharedSecret, associatedData, ourRatchetKeyPair: bobPrekey })
    for (let round = 0; round < 4; round++) {
      const first = ratchetEncrypt(noble, a, text(`a ${round} first`))
      const second = ratchetEncrypt(noble, first.state, text(`a ${round} second`))
      a = second.state
      let got = ratchetDecrypt(node, b, second.message)
      assert.deepEqual(got.plaintext, text(`a ${round} second`))
      got = ratchetDecrypt(node, got.state, first.message)
      assert.deepEqual(got.plaintext, text(`a ${round} first`))
      const reply = ratchetEncrypt(node, got.state, text(`b ${round}`))
      b = reply.state
      const back = ratchetDecrypt(noble, a, reply.message)
      assert.deepEqual(back.plaintext, text(`b ${round}`))
      a = back.state
    }
  })
})
