/**
 * The RPC server in-process with stub handlers (real WebSocket server on 127.0.0.1, real client):
 * event routing, error mapping, result validation, client typing sugar.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { WebSocket } from 'ws'
import { DecodeError } from '../../core/src/errors.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { eventNames, type Message, type MethodName } from '../src/rpc/api.ts'
import { WrenClient } from '../src/rpc/client.ts'
import { appError, RpcError } from '../src/rpc/errors.ts'
import { type Handlers, RpcServer } from '../src/rpc/server.ts'

const TOKEN = 'ab'.repeat(32)
const WAIT_MS = 2_000

const message: Message = {
  id: 'm1',
  conversationId: 'dm:wuaaaaaaaaaaaaaaaaaaaaaaaaaa',
  seq: 1,
  direction: 'in',
  sender: 'wuaaaaaaaaaaaaaaaaaaaaaaaaaa',
  text: 'hello',
  sentAt: 1,
  receivedAt: 2,
  status: 'delivered',
  receipts: 0,
}

function stubHandlers(): Handlers {
  const fail = (name: MethodName) => async (): Promise<never> => {
    throw appError('NOT_IMPLEMENTED', `${name} stub`)
  }
  return {
    'node.status': async () => {
      throw new Error('secret internal detail /home/user/.wren')
    },
    'node.doctor': fail('node.doctor'),
    'identity.create': fail('identity.create'),
    'identity.unlock': async () => {
      throw appError('WRONG_PASSPHRASE', 'wrong passphrase')
    },
    'identity.get': async () => ({ bogus: true }) as never,
    'identity.lock': fail('identity.lock'),
    'identity.rotate': fail('identity.rotate'),
    'identity.card': fail('identity.card'),
    'contacts.add': fail('contacts.add'),
    'contacts.list': async () => ({ contacts: [] }),
    'contacts.safetyNumber': fail('contacts.safetyNumber'),
    'contacts.verify': fail('contacts.verify'),
    'contacts.acceptKeyChange': fail('contacts.acceptKeyChange'),
    'conversations.list': async () => ({ conversations: [] }),
    'conversations.setTimer': fail('conversations.setTimer'),
    'messages.send': fail('messages.send'),
    'messages.list': async (p) => ({ messages: [], hasMore: (p.limit ?? 50) > 100 }),
    'messages.markRead': fail('messages.markRead'),
    'messages.react': fail('messages.react'),
    'messages.edit': fail('messages.edit'),
    'messages.delete': fail('messages.delete'),
    'messages.pin': fail('messages.pin'),
    'messages.forward': fail('messages.forward'),
    'messages.search': fail('messages.search'),
    'conversations.delete': fail('conversations.delete'),
    'conversations.update': fail('conversations.update'),
    'typing.set': fail('typing.set'),
    'typing.configure': fail('typing.configure'),
    'contacts.presence': fail('contacts.presence'),
    'contacts.configurePresence': fail('contacts.configurePresence'),
    'contacts.picture': fail('contacts.picture'),
    'identity.setPicture': fail('identity.setPicture'),
    'identity.picture': fail('identity.picture'),
    'groups.create': fail('groups.create'),
    'groups.invite': fail('groups.invite'),
    'groups.accept': fail('groups.accept'),
    'groups.decline': fail('groups.decline'),
    'groups.leave': fail('groups.leave'),
    'groups.remove': async () => {
      throw new DecodeError('malformed user id: non-canonical trailing bits')
    },
    'groups.rename': fail('groups.rename'),
    'groups.setRole': fail('groups.setRole'),
    'groups.members': fail('groups.members'),
    'groups.list': fail('groups.list'),
    'groups.receipts': fail('groups.receipts'),
    'calls.start': fail('calls.start'),
    'calls.accept': fail('calls.accept'),
    'calls.decline': fail('calls.decline'),
    'calls.hangup': fail('calls.hangup'),
    'calls.signal': fail('calls.signal'),
    'calls.media': fail('calls.media'),
    'calls.mediaKeys': fail('calls.mediaKeys'),
    'calls.iceServers': fail('calls.iceServers'),
    'calls.settings': fail('calls.settings'),
    'calls.list': fail('calls.list'),
    'settings.get': fail('settings.get'),
    'settings.set': fail('settings.set'),
    'events.subscribe': async ({ events }, ctx) => ({ subscribed: ctx.subscribe(events ?? eventNames) }),
    'attachments.send': fail('attachments.send'),
    'attachments.get': fail('attachments.get'),
    'attachments.save': fail('attachments.save'),
    'attachments.download': fail('attachments.download'),
    'attachments.cancel': fail('attachments.cancel'),
    'attachments.settings': fail('attachments.settings'),
    'devices.list': fail('devices.list'),
    'devices.linkStart': fail('devices.linkStart'),
    'devices.link': fail('devices.link'),
    'devices.confirm': fail('devices.confirm'),
    'devices.rename': fail('devices.rename'),
    'devices.revoke': fail('devices.revoke'),
    'backup.export': fail('backup.export'),
    'backup.import': fail('backup.import'),
    'rooms.create': fail('rooms.create'),
    'rooms.join': fail('rooms.join'),
    'rooms.send': fail('rooms.send'),
    'rooms.leave': fail('rooms.leave'),
    'rooms.list': fail('rooms.list'),
  }
}

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timeout: ${what}`)), WAIT_MS)),
  ])
}

describe('rpc server (in-process)', () => {
  let server: RpcServer
  before(async () => {
    server = await RpcServer.start({ handlers: stubHandlers(), token: TOKEN, validateResults: true })
  })
  after(async () => {
    await server.close()
  })

  test('listens on 127.0.0.1 only', () => {
    assert.match(server.url, /^ws:\/\/127\.0\.0\.1:\d+\/$/)
  })

  test('unexpected handler exceptions become -32603 "internal error" without leaking details', async () => {
    const client = await WrenClient.connect({ url: server.url, token: TOKEN })
    try {
      const error = await client.call('node.status').then(
        () => assert.fail('must reject'),
        (e: unknown) => e,
      )
      assert.ok(error instanceof RpcError)
      assert.equal(error.code, -32603)
      assert.equal(error.message, 'internal error')
      assert.ok(!JSON.stringify({ m: error.message, d: error.data }).includes('secret'))
    } finally {
      await client.close()
    }
  })

  test('a parser refusing a value inside a handler (DecodeError) answers -32602, not -32603', async () => {
    const client = await WrenClient.connect({ url: server.url, token: TOKEN })
    try {
      await assert.rejects(
        client.call('groups.remove', { groupId: '0'.repeat(32), userId: 'wuaaaaaaaaaaaaaaaaaaaaaaaaaa' }),
        (e: RpcError) => e.code === -32602 && /non-canonical/.test(e.message),
      )
    } finally {
      await client.close()
    }
  })

  test('a result that does not match its schema is refused as -32603', async () => {
    const client = await WrenClient.connect({ url: server.url, token: TOKEN })
    try {
      await assert.rejects(client.call('identity.get'), (e: RpcError) => e.code === -32603)
    } finally {
      await client.close()
    }
  })

  test('typed application errors keep their code and name', async () => {
    const client = await WrenClient.connect({ url: server.url, token: TOKEN })
    try {
      await assert.rejects(
        client.call('identity.unlock', { passphrase: 'nope' }),
        (e: RpcError) => e.code === -32005 && e.errorName === 'WRONG_PASSPHRASE',
      )
      assert.deepEqual(await client.call('messages.list', { conversationId: 'dm:x', limit: 200 }), {
        messages: [],
        hasMore: true,
      })
    } finally {
      await client.close()
    }
  })

  test('events reach only connections that subscribed to them', async () => {
    const subscribed = await WrenClient.connect({ url: server.url, token: TOKEN })
    const other = await WrenClient.connect({ url: server.url, token: TOKEN })
    try {
      const otherSaw: unknown[] = []
      // `other` subscribes to a different event only.
      await other.on('contact.keyChanged', (p) => otherSaw.push(p))
      const received = Promise.withResolvers<Message>()
      const statuses = Promise.withResolvers<unknown>()
      await subscribed.on('message', received.resolve)
      await subscribed.on('message.status', statuses.resolve)
      await other.call('contacts.list') // other's subscription is registered before its next answer
      server.notify('message.received', { message })
      server.notify('message.status', {
        conversationId: message.conversationId,
        messageId: 'm1',
        status: 'read',
        receipts: 1,
      })
      assert.deepEqual(await withTimeout(received.promise, 'message.received'), message)
      assert.deepEqual(await withTimeout(statuses.promise, 'message.status'), {
        conversationId: message.conversationId,
        messageId: 'm1',
        status: 'read',
        receipts: 1,
      })
      await other.call('contacts.list') // any notification sent to `other` would have arrived before this answer
      assert.deepEqual(otherSaw, [])
    } finally {
      await subscribed.close()
      await other.close()
    }
  })

  test('the bearer token is accepted as a wren.bearer.<token> subprotocol (browser clients)', async () => {
    const ws = new WebSocket(server.url, ['wren.v1', `wren.bearer.${TOKEN}`])
    try {
      await withTimeout(
        new Promise<void>((resolve, reject) => {
          ws.once('open', () => resolve())
          ws.once('error', reject)
        }),
        'open with subprotocol',
      )
      assert.equal(ws.protocol, 'wren.v1')
    } finally {
      ws.terminate()
    }
  })

  test('fuzz: random and mutated frames get JSON-RPC answers only, and the server keeps serving', async () => {
    const random = seededRandom('rpc-fuzz')
    const ws = new WebSocket(server.url, { headers: { authorization: `Bearer ${TOKEN}` } })
    const replies: unknown[] = []
    const done = Promise.withResolvers<void>()
    ws.on('message', (data) => {
      const reply = JSON.parse(data.toString())
      replies.push(reply)
      if (!Array.isArray(reply) && reply.id === 'fuzz-end') done.resolve()
    })
    await withTimeout(new Promise((resolve) => ws.once('open', resolve)), 'open')
    try {
      const valid = Buffer.from(
        JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'messages.list',
          params: { conversationId: 'dm:x', limit: 5 },
        }),
      )
      for (let i = 0; i < 150; i++) ws.send(random(random(1)[0] as number))
      for (let i = 0; i < 150; i++) {
        const mutated = Uint8Array.from(valid)
        const at = (random(1)[0] as number) % mutated.length
        mutated[at] = (mutated[at] as number) ^ (1 << ((random(1)[0] as number) % 8))
        ws.send(i % 2 ? mutated : mutated.subarray(0, at))
      }
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: 'fuzz-end', method: 'contacts.list' }))
      await withTimeout(done.promise, 'answer after fuzzing')
      const known = new Set([-32700, -32600, -32601, -32602, -32603])
      for (const reply of replies.flat() as Array<{
        jsonrpc: string
        result?: unknown
        error?: { code: number }
      }>) {
        assert.equal(reply.jsonrpc, '2.0')
        assert.ok(reply.result !== undefined || known.has(reply.error?.code ?? 0), JSON.stringify(reply))
      }
      assert.ok(replies.length > 150)
    } finally {
      ws.terminate()
    }
  })

  test('calls on a closed client reject with ERR_CLOSED instead of hanging', async () => {
    const client = await WrenClient.connect({ url: server.url, token: TOKEN })
    await client.close()
    await assert.rejects(client.call('contacts.list'), { name: 'RpcConnectionError', code: 'ERR_CLOSED' })
  })
})
