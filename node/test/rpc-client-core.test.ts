/**
 * The JSON-RPC client core both daemon clients share, on an in-process transport: the core is
 * pure bookkeeping (ids, pending calls, timeouts, notifications), so a transport that records
 * what was sent and feeds answers back is the real thing's whole contract. The clients over
 * real WebSockets are covered by rpc-server.test.ts (Node) and test/desktop-e2e.test.ts (browser).
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { type CallFailure, MAX_ANSWER_CHARS, RpcClientCore } from '../src/rpc/client-core.ts'

/** Short call timeout for the timeout cases, in ms: long enough for an answer in the same tick. */
const SHORT_TIMEOUT_MS = 20
/** Fuzz: fixed seed so every run checks the same inputs. */
const FUZZ_SEED = 0xc11e
const FUZZ_RUNS = 300

class RemoteError extends Error {
  readonly code: number
  readonly data: unknown
  constructor(code: number, message: string, data: unknown) {
    super(message)
    this.name = 'RemoteError'
    this.code = code
    this.data = data
  }
}

class NoAnswer extends Error {
  readonly failure: CallFailure
  constructor(failure: CallFailure) {
    super(failure.kind)
    this.name = 'NoAnswer'
    this.failure = failure
  }
}

interface Harness {
  core: RpcClientCore
  sent: Array<{ jsonrpc: string; id: number; method: string; params: unknown }>
  handlerErrors: unknown[]
}

function harness(
  options: { callTimeoutMs?: number; send?: (text: string) => void | Promise<void> } = {},
): Harness {
  const sent: Harness['sent'] = []
  const handlerErrors: unknown[] = []
  const core = new RpcClientCore({
    send:
      options.send ??
      ((text) => {
        sent.push(JSON.parse(text))
      }),
    callTimeoutMs: options.callTimeoutMs ?? 5_000,
    remoteError: (code, message, data) => new RemoteError(code, message, data),
    failure: (failure) => new NoAnswer(failure),
    onHandlerError: (error) => handlerErrors.push(error),
  })
  return { core, sent, handlerErrors }
}

const answer = (id: number, result: unknown) => JSON.stringify({ jsonrpc: '2.0', id, result })

describe('RpcClientCore', () => {
  test('a call sends a JSON-RPC 2.0 request with a fresh id and resolves with the answer to that id', async () => {
    const { core, sent } = harness()
    const first = core.call('contacts.list', undefined)
    const second = core.call('messages.list', { conversationId: 'dm:x', limit: 5 })
    assert.deepEqual(sent, [
      { jsonrpc: '2.0', id: 1, method: 'contacts.list', params: {} },
      { jsonrpc: '2.0', id: 2, method: 'messages.list', params: { conversationId: 'dm:x', limit: 5 } },
    ])
    core.receive(answer(2, { messages: [] }))
    core.receive(answer(1, { contacts: [] }))
    assert.deepEqual(await second, { messages: [] })
    assert.deepEqual(await first, { contacts: [] })
    assert.equal(core.pendingCalls, 0)
  })

  test('an error answer rejects with the error built from its code, message and data', async () => {
    const { core } = harness()
    const call = core.call('contacts.list', undefined)
    core.receive(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        error: { code: -32001, message: 'profile is locked', data: { error: 'LOCKED' } },
      }),
    )
    await assert.rejects(call, { name: 'RemoteError', code: -32001, message: 'profile is locked' })
    await call.catch((e: RemoteError) => assert.deepEqual(e.data, { error: 'LOCKED' }))
  })

  test('a batch answer settles each of its calls; unknown ids, requests and non-JSON are ignored', async () => {
    const { core } = harness()
    const a = core.call('contacts.list', undefined)
    const b = core.call('conversations.list', undefined)
    core.receive('not json {')
    core.receive(answer(99, { stray: true }))
    core.receive(JSON.stringify({ jsonrpc: '2.0', id: '1', result: 'string id is not ours' }))
    assert.equal(core.pendingCalls, 2)
    core.receive(JSON.stringify([JSON.parse(answer(2, 'b')), null, 7, JSON.parse(answer(1, 'a'))]))
    assert.equal(await a, 'a')
    assert.equal(await b, 'b')
  })

  test('a call with no answer rejects with a timeout naming the method, and a late answer is ignored', async () => {
    const { core } = harness({ callTimeoutMs: SHORT_TIMEOUT_MS })
    const call = core.call('conversations.list', undefined)
    await assert.rejects(call, (e: NoAnswer) => {
      assert.deepEqual(e.failure, {
        kind: 'timeout',
        method: 'conversations.list',
        timeoutMs: SHORT_TIMEOUT_MS,
      })
      return true
    })
    assert.equal(core.pendingCalls, 0)
    core.receive(answer(1, { late: true })) // no pending call left to settle: nothing happens
    assert.equal(core.pendingCalls, 0)
  })

  test('failAll rejects every pending call as closed and leaves no timer behind', async () => {
    // A long timeout: if failAll left a timer running, the test runner would wait for it.
    const { core } = harness({ callTimeoutMs: 60_000 })
    const calls = [core.call('contacts.list', undefined), core.call('conversations.list', undefined)]
    core.failAll()
    assert.equal(core.pendingCalls, 0)
    for (const call of calls)
      await assert.rejects(call, (e: NoAnswer) => e.failure.kind === 'closed' && e.name === 'NoAnswer')
    core.receive(answer(1, 'too late'))
  })

  test('a send that throws or rejects fails only that call, with the reason', async () => {
    let mode: 'throw' | 'reject' | 'ok' = 'throw'
    const { core } = harness({
      send: (_text) => {
        if (mode === 'throw') throw new Error('socket gone')
        if (mode === 'reject') return Promise.reject(new Error('write after end'))
      },
    })
    await assert.rejects(core.call('contacts.list', undefined), (e: NoAnswer) => {
      assert.deepEqual(e.failure, { kind: 'send', method: 'contacts.list', reason: 'socket gone' })
      return true
    })
    mode = 'reject'
    await assert.rejects(core.call('conversations.list', undefined), (e: NoAnswer) => {
      assert.deepEqual(e.failure, { kind: 'send', method: 'conversations.list', reason: 'write after end' })
      return true
    })
    mode = 'ok'
    const ok = core.call('contacts.list', undefined)
    assert.equal(core.pendingCalls, 1)
    core.receive(answer(3, { contacts: [] }))
    assert.deepEqual(await ok, { contacts: [] })
  })

  test('notifications reach the handlers of their event; a throwing handler does not stop the others', () => {
    const { core, handlerErrors } = harness()
    const got: string[] = []
    core.listen('contact.keyChanged', () => {
      throw new Error('handler bug')
    })
    core.listen('contact.keyChanged', (p) => got.push(`contact ${JSON.stringify(p)}`))
    const remove = core.listen('message.received', (p) => got.push(`message ${p.message.id}`))
    const note = (method: string, params: unknown) => JSON.stringify({ jsonrpc: '2.0', method, params })
    core.receive(note('contact.keyChanged', { userId: 'u1' }))
    core.receive(note('message.received', { message: { id: 'm1' } }))
    // A request from the other side (it has an id) is not a notification.
    core.receive(JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'contact.keyChanged', params: {} }))
    remove()
    core.receive(note('message.received', { message: { id: 'm2' } }))
    core.receive(note('no.such.event', {}))
    assert.deepEqual(got, ['contact {"userId":"u1"}', 'message m1'])
    assert.equal(handlerErrors.length, 1)
    assert.match(String(handlerErrors[0]), /handler bug/)
  })

  test('events that ever had a handler stay listed, so a reconnect subscribes them again', () => {
    const { core } = harness()
    assert.equal(core.isListening('message.received'), false)
    const remove = core.listen('message.received', () => {})
    core.listen('contact.keyChanged', () => {})
    remove()
    assert.equal(core.isListening('message.received'), true)
    assert.deepEqual(core.listenedEvents().sort(), ['contact.keyChanged', 'message.received'])
  })

  test('an answer longer than MAX_ANSWER_CHARS is dropped unparsed', () => {
    const { core } = harness()
    void core.call('contacts.list', undefined)
    const padding = ' '.repeat(MAX_ANSWER_CHARS)
    core.receive(`${answer(1, { contacts: [] })}${padding}`)
    assert.equal(core.pendingCalls, 1, 'the oversized answer settled nothing')
    core.receive(answer(1, { contacts: [] }))
    assert.equal(core.pendingCalls, 0)
  })

  test('fuzz: arbitrary texts never throw, never settle a call they do not answer, never reach another event', async () => {
    const { core, handlerErrors } = harness()
    const wrongEvent: unknown[] = []
    core.listen('contact.keyChanged', (p) => wrongEvent.push(p))
    const pending = core.call('contacts.list', undefined)
    const notOurId = fc.oneof(fc.integer({ min: 2 }), fc.string(), fc.constant(null), fc.double())
    const item = fc.oneof(
      fc.jsonValue(),
      fc.record({ jsonrpc: fc.constant('2.0'), id: notOurId, result: fc.jsonValue() }),
      fc.record({ jsonrpc: fc.constant('2.0'), method: fc.string(), params: fc.jsonValue() }),
    )
    const text = fc.oneof(
      fc.string(),
      item.map((v) => JSON.stringify(v)),
      fc.array(item, { maxLength: 5 }).map((v) => JSON.stringify(v)),
    )
    /** Inputs that legitimately answer call 1 or notify the one listened event are left out. */
    const ours = (t: string): boolean => {
      let parsed: unknown
      try {
        parsed = JSON.parse(t)
      } catch {
        return false
      }
      return (Array.isArray(parsed) ? parsed : [parsed]).some((i) => {
        const m = (typeof i === 'object' && i !== null ? i : {}) as { id?: unknown; method?: unknown }
        return m.id === 1 || m.method === 'contact.keyChanged'
      })
    }
    let fed = 0
    fc.assert(
      fc.property(text, (t) => {
        if (ours(t)) return
        core.receive(t)
        fed++
      }),
      { seed: FUZZ_SEED, numRuns: FUZZ_RUNS },
    )
    assert.ok(fed > FUZZ_RUNS / 2, `most inputs were fed (${fed})`)
    assert.deepEqual(wrongEvent, [])
    assert.deepEqual(handlerErrors, [])
    assert.equal(core.pendingCalls, 1, 'no fuzz input answered call 1')
    core.receive(answer(1, 'done'))
    assert.equal(await pending, 'done')
  })
})
