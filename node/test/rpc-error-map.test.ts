/**
 * Domain errors reach clients through one table (node/src/rpc/error-map.ts): each family of
 * node/src/errors.ts (and any subclass a domain folder names) answers its application code with
 * its message and nothing else; errors thrown as RpcError pass through; a core DecodeError is bad
 * params; anything else is -32603 "internal error" with no details. Checked on the table and on
 * the wire, through a real RpcServer and a raw WebSocket client.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { WebSocket } from 'ws'
import { DecodeError } from '../../core/src/errors.ts'
import {
  AlreadyExistsError,
  InvalidInputError,
  KeyChangeUnacceptedError,
  NotFoundError,
  UnavailableError,
} from '../src/errors.ts'
import { IdentityExistsError, NoIdentityError, ProfileLockedError } from '../src/profile/errors.ts'
import { type MethodName, methods } from '../src/rpc/api.ts'
import { toRpcError } from '../src/rpc/error-map.ts'
import { appError } from '../src/rpc/errors.ts'
import { type Handlers, RpcServer } from '../src/rpc/server.ts'
import { WrongPassphraseError } from '../src/storage/errors.ts'

const TOKEN = 'cd'.repeat(32)
/** Bound on one request/response over loopback. */
const WAIT_MS = 2_000
/** Something internal that must never reach a client (a path, a key's name). */
const SECRET = 'storage key of /home/alice/.wren/default/db'

class ContactNotFoundError extends NotFoundError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ContactNotFoundError'
  }
}

/** Each family with the code and name the API documents for it (docs/rpc.md). */
const families: Array<{ make: (message: string) => Error; code: number; name: string }> = [
  { make: (m) => new NotFoundError(m, { cause: new Error(SECRET) }), code: -32003, name: 'NOT_FOUND' },
  { make: (m) => new ContactNotFoundError(m), code: -32003, name: 'NOT_FOUND' },
  {
    make: (m) => new InvalidInputError(m, { cause: new Error(SECRET) }),
    code: -32009,
    name: 'INVALID_INPUT',
  },
  { make: (m) => new AlreadyExistsError(m), code: -32006, name: 'ALREADY_EXISTS' },
  { make: (m) => new KeyChangeUnacceptedError(m), code: -32004, name: 'KEY_CHANGED_UNACCEPTED' },
  { make: (m) => new UnavailableError(m), code: -32010, name: 'UNAVAILABLE' },
  // the profile session's own errors (profile/session.ts; the keystore's wrong passphrase)
  { make: (m) => new NoIdentityError(m), code: -32002, name: 'NO_IDENTITY' },
  { make: (m) => new ProfileLockedError(m), code: -32001, name: 'LOCKED' },
  { make: (m) => new WrongPassphraseError(m), code: -32005, name: 'WRONG_PASSPHRASE' },
  { make: (m) => new IdentityExistsError(m), code: -32006, name: 'ALREADY_EXISTS' },
]

describe('domain errors → RPC codes (rpc/error-map.ts)', () => {
  test('each family maps to its application code, keeps its message and adds only the error name', () => {
    for (const { make, code, name } of families) {
      const thrown = make(`the ${name} message`)
      const { error, internal } = toRpcError(thrown, 'contacts.add')
      assert.equal(internal, false, thrown.name)
      assert.equal(error.code, code, thrown.name)
      assert.equal(error.message, `the ${name} message`)
      assert.deepEqual(error.data, { error: name })
      assert.equal(error.errorName, name)
    }
  })

  test('an RpcError passes through as it is; a DecodeError is bad params; anything else is internal', () => {
    const rpc = appError('SAFETY_NUMBER_MISMATCH', 'no match')
    assert.equal(toRpcError(rpc, 'contacts.verify').error, rpc)
    const decode = toRpcError(new DecodeError('non-canonical user id'), 'groups.remove')
    assert.deepEqual(
      { code: decode.error.code, message: decode.error.message, data: decode.error.data },
      { code: -32602, message: 'invalid params for groups.remove: non-canonical user id', data: undefined },
    )
    for (const thrown of [new Error(SECRET), new TypeError(SECRET), SECRET, undefined]) {
      const { error, internal } = toRpcError(thrown, 'messages.send')
      assert.equal(internal, true)
      assert.deepEqual(
        { code: error.code, message: error.message, data: error.data },
        {
          code: -32603,
          message: 'internal error',
          data: undefined,
        },
      )
    }
  })
})

describe('domain errors on the wire (RpcServer)', () => {
  let server: RpcServer
  let ws: WebSocket
  let nextError: unknown = null
  const logged: Array<Record<string, unknown> | undefined> = []
  const replies = new Map<number, PromiseWithResolvers<Record<string, unknown>>>()
  let nextId = 1

  before(async () => {
    const handlers = Object.fromEntries(
      (Object.keys(methods) as MethodName[]).map((name) => [
        name,
        async () => {
          throw nextError
        },
      ]),
    ) as unknown as Handlers
    server = await RpcServer.start({
      handlers,
      token: TOKEN,
      log: { info() {}, warn() {}, error: (_msg, fields) => logged.push(fields) },
    })
    ws = new WebSocket(server.url, { headers: { authorization: `Bearer ${TOKEN}` } })
    ws.on('message', (data) => {
      const reply = JSON.parse(data.toString()) as Record<string, unknown>
      replies.get(reply.id as number)?.resolve(reply)
    })
    await new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
    })
  })

  after(async () => {
    ws.close()
    await server.close()
  })

  /** The raw JSON-RPC response to contacts.list while its handler throws `error`. */
  async function answerTo(error: unknown): Promise<{ frame: string; reply: Record<string, unknown> }> {
    nextError = error
    const id = nextId++
    const pending = Promise.withResolvers<Record<string, unknown>>()
    replies.set(id, pending)
    ws.send(JSON.stringify({ jsonrpc: '2.0', id, method: 'contacts.list' }))
    const timer = setTimeout(() => pending.reject(new Error('no reply in time')), WAIT_MS)
    try {
      const reply = await pending.promise
      return { frame: JSON.stringify(reply), reply }
    } finally {
      clearTimeout(timer)
    }
  }

  test('a thrown family answers its code, its message and { error: NAME }: no stack, cause or class name', async () => {
    for (const { make, code, name } of families) {
      const thrown = make(`no contact wuabc (${name})`)
      const { frame, reply } = await answerTo(thrown)
      assert.deepEqual(reply.error, { code, message: `no contact wuabc (${name})`, data: { error: name } })
      assert.ok(!frame.includes(SECRET), 'the cause stays inside the daemon')
      assert.ok(!frame.includes('at '), 'no stack trace')
      assert.ok(!frame.includes(thrown.name), 'no class name')
    }
  })

  test('an unknown error answers -32603 "internal error" with no data; the log names only its class', async () => {
    logged.length = 0
    const { frame, reply } = await answerTo(new RangeError(SECRET))
    assert.deepEqual(reply.error, { code: -32603, message: 'internal error' })
    assert.ok(!frame.includes(SECRET))
    assert.deepEqual(logged, [{ method: 'contacts.list', error: 'RangeError' }])
  })
})
