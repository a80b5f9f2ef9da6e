/**
 * Bad input against a real daemon process: every case gets the right JSON-RPC error, nothing
 * changes, and the daemon stays up.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { WebSocket } from 'ws'
import { type SpawnedDaemon, spawnDaemon } from '../../test/fixtures/daemon.ts'
import { MAX_TEXT_CHARS } from '../src/rpc/api.ts'
import { WrenClient } from '../src/rpc/client.ts'
import { RpcConnectionError, type RpcError } from '../src/rpc/errors.ts'
import { MAX_RPC_MESSAGE_BYTES } from '../src/rpc/server.ts'

const WAIT_MS = 5_000

/** A raw authenticated socket, to send bytes the typed client would never produce. */
class RawSocket {
  readonly ws: WebSocket
  readonly #inbox: unknown[] = []
  readonly #waiters: Array<(v: unknown) => void> = []
  closed: Promise<number>
  private constructor(ws: WebSocket) {
    this.ws = ws
    ws.on('message', (data) => {
      const value = JSON.parse(data.toString())
      const waiter = this.#waiters.shift()
      if (waiter) waiter(value)
      else this.#inbox.push(value)
    })
    this.closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)))
  }
  static open(d: SpawnedDaemon): Promise<RawSocket> {
    const ws = new WebSocket(`ws://127.0.0.1:${d.rpcPort}/`, {
      headers: { authorization: `Bearer ${d.token}` },
    })
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RawSocket(ws)))
      ws.once('error', reject)
    })
  }
  next(): Promise<unknown> {
    const queued = this.#inbox.shift()
    if (queued !== undefined) return Promise.resolve(queued)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no reply in time')), WAIT_MS)
      this.#waiters.push((v) => {
        clearTimeout(timer)
        resolve(v)
      })
    })
  }
  async send(text: string): Promise<unknown> {
    this.ws.send(text)
    return this.next()
  }
}

describe('daemon RPC: bad input is rejected and the daemon survives', () => {
  let d: SpawnedDaemon
  let raw: RawSocket
  before(async () => {
    d = await spawnDaemon()
    raw = await RawSocket.open(d)
  })
  after(async () => {
    raw?.ws.terminate()
    await d?.stop()
  })

  test('a missing or wrong token is refused with 401 at the upgrade', async () => {
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${d.rpcPort}/`)
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode)
        ws.terminate()
      })
      ws.once('open', () => reject(new Error('opened without a token')))
      ws.once('error', () => {})
    })
    assert.equal(status, 401)
    await assert.rejects(
      WrenClient.connect({ url: `ws://127.0.0.1:${d.rpcPort}/`, token: '00'.repeat(32) }),
      (e: RpcConnectionError) => e instanceof RpcConnectionError && e.code === 'ERR_UNAUTHORIZED',
    )
  })

  test('malformed JSON → -32700 with id null', async () => {
    assert.deepEqual(await raw.send('{"jsonrpc": "2.0", "method": '), {
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: 'parse error: message is not valid JSON' },
    })
  })

  test('invalid requests → -32600 (not an object, wrong version, bad id, empty batch)', async () => {
    for (const text of [
      '42',
      '{"jsonrpc":"1.0","id":1,"method":"node.status"}',
      '{"jsonrpc":"2.0","id":{},"method":"x"}',
      '[]',
    ]) {
      const reply = (await raw.send(text)) as { error: { code: number } }
      assert.equal(reply.error.code, -32600, text)
    }
  })

  test('unknown method → -32601', async () => {
    const reply = (await raw.send('{"jsonrpc":"2.0","id":7,"method":"nope.nothing"}')) as {
      id: number
      error: { code: number }
    }
    assert.equal(reply.id, 7)
    assert.equal(reply.error.code, -32601)
  })

  test('params failing the schema → -32602 naming the field (wrong type, unknown field, oversized, positional)', async () => {
    const call = async (params: unknown) =>
      (await raw.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'identity.create', params }))) as {
        error: { code: number; message: string }
      }
    let reply = await call({ passphrase: 12345678, displayName: 'x' })
    assert.equal(reply.error.code, -32602)
    assert.match(reply.error.message, /passphrase/)
    reply = await call({ passphrase: 'long enough', displayName: 'x', admin: true })
    assert.equal(reply.error.code, -32602)
    assert.match(reply.error.message, /admin/)
    reply = await call({ passphrase: 'long enough', displayName: 'x'.repeat(65) })
    assert.equal(reply.error.code, -32602)
    assert.match(reply.error.message, /displayName/)
    reply = await call(['long enough', 'x'])
    assert.equal(reply.error.code, -32602)
    const send = (await raw.send(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 2,
        method: 'messages.send',
        params: { conversationId: 'dm:x', text: 'y'.repeat(MAX_TEXT_CHARS + 1) },
      }),
    )) as { error: { code: number; message: string } }
    assert.equal(send.error.code, -32602)
    assert.match(send.error.message, /text/)
    // Nothing changed: still no identity.
    assert.equal((await d.client.call('node.status')).hasIdentity, false)
  })

  test('batches answer each request; notifications get no answer', async () => {
    const reply = (await raw.send(
      JSON.stringify([
        { jsonrpc: '2.0', id: 'a', method: 'node.status' },
        { jsonrpc: '2.0', method: 'node.status' },
        { jsonrpc: '2.0', id: 'b', method: 'nope' },
        5,
      ]),
    )) as Array<{ id: unknown; error?: { code: number } }>
    assert.equal(reply.length, 3)
    assert.deepEqual(
      reply.map((r) => [r.id, r.error?.code ?? 'ok']),
      [
        ['a', 'ok'],
        ['b', -32601],
        [null, -32600],
      ],
    )
    raw.ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'nope' }))
    const next = (await raw.send(JSON.stringify({ jsonrpc: '2.0', id: 'after', method: 'node.status' }))) as {
      id: unknown
    }
    assert.equal(next.id, 'after')
  })

  test('a profile without identity answers NO_IDENTITY for methods that need keys', async () => {
    for (const call of [() => d.client.call('identity.get'), () => d.client.call('contacts.list')])
      await assert.rejects(call(), (e: RpcError) => e.errorName === 'NO_IDENTITY' && e.code === -32002)
  })

  test('a message over the size cap closes only that connection (1009); the daemon stays up', async () => {
    const big = await RawSocket.open(d)
    big.ws.send(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'node.status',
        params: { pad: 'x'.repeat(MAX_RPC_MESSAGE_BYTES) },
      }),
    )
    assert.equal(await big.closed, 1009)
    assert.ok(d.alive())
    const status = await d.client.call('node.status')
    assert.equal(status.unlocked, false)
  })
})
