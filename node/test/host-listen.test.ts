/**
 * The host refuses a WebRTC listen address with a sentence that says why (Wren does not run the
 * WebRTC transport: see DEFAULT_LISTEN in node/src/p2p/host.ts), and its defaults carry none.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { HostConfigError } from '../src/p2p/errors.ts'
import { createWrenHost, DEFAULT_LISTEN } from '../src/p2p/host.ts'

test('a /webrtc listen address is refused with a HostConfigError that names it', async () => {
  const privateKey = await generateKeyPair('Ed25519')
  await assert.rejects(
    createWrenHost({ privateKey, listen: ['/ip4/127.0.0.1/tcp/0', '/webrtc'] }),
    (err: unknown) => err instanceof HostConfigError && /cannot listen on \/webrtc/.test(err.message),
  )
})

test('the default listen addresses are TCP, WebSockets and relay reservations only', () => {
  assert.deepEqual(
    DEFAULT_LISTEN.filter((a) => a.includes('webrtc')),
    [],
  )
  assert.ok(DEFAULT_LISTEN.includes('/p2p-circuit'))
})
