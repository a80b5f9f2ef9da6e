/**
 * The room session engine between two in-memory peers: the handshake reaches `connected` only
 * with the same code and channel, a wrong code fails at key confirmation with a clear reason on
 * both sides, any rewritten or unexpected frame destroys the session, lines are limited and
 * rate-limited, /quit says goodbye and wipes. Seeded randomness, an injected clock.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { seededRandom } from '../../../test/fixtures/seeded-random.ts'
import { utf8 } from '../../src/bytes.ts'
import { createNobleSuite } from '../../src/crypto/noble-suite.ts'
import { INPUT_BUCKET_CAPACITY, MAX_ROOM_LINE_CHARS, PEER_BUCKET_CAPACITY } from '../../src/room/constants.ts'
import { decodeRoomFrame } from '../../src/room/frame.ts'
import { type RoomEvent, RoomInputError, RoomSession } from '../../src/room/session.ts'

interface Peer {
  session: RoomSession
  out: Uint8Array[]
  texts: string[]
  destroyed: { reason: string; detail: string } | null
}

function collect(peer: Peer, events: RoomEvent[]): void {
  for (const e of events) {
    if (e.type === 'send') peer.out.push(e.frame)
    if (e.type === 'text') peer.texts.push(e.text)
    if (e.type === 'destroyed') peer.destroyed = { reason: e.reason, detail: e.detail }
  }
}

function pair(seed: string, options: { prsB?: string; ciB?: string } = {}) {
  let now = 1_000_000
  const clock = () => now
  const mk = (role: 'initiator' | 'responder', prs: string, ci: string): Peer => {
    const random = seededRandom(`${seed}:${role}`)
    return {
      session: new RoomSession({
        suite: createNobleSuite(random),
        random,
        clock,
        role,
        prs: utf8(prs.padEnd(32, '.')),
        channelId: utf8(ci),
      }),
      out: [],
      texts: [],
      destroyed: null,
    }
  }
  const a = mk('initiator', 'code-one', 'A|B')
  const b = mk('responder', options.prsB ?? 'code-one', options.ciB ?? 'A|B')
  return {
    a,
    b,
    advance: (ms: number) => {
      now += ms
    },
  }
}

/** Deliver every queued frame both ways until quiet, optionally rewriting frames in flight. */
function pump(a: Peer, b: Peer, rewrite?: (frame: Uint8Array, from: 'a' | 'b') => Uint8Array): void {
  for (let round = 0; round < 20 && (a.out.length > 0 || b.out.length > 0); round++) {
    for (const [from, to, name] of [
      [a, b, 'a'],
      [b, a, 'b'],
    ] as const) {
      const frames = from.out.splice(0)
      for (const f of frames) collect(to, to.session.receive(rewrite ? rewrite(f, name) : f))
    }
  }
}

function connect(seed: string, options?: { prsB?: string; ciB?: string }) {
  const p = pair(seed, options)
  collect(p.a, p.a.session.start())
  collect(p.b, p.b.session.start())
  pump(p.a, p.b)
  return p
}

test('two sessions with the same code reach connected and exchange lines both ways', () => {
  const { a, b } = connect('same')
  assert.equal(a.session.state, 'connected')
  assert.equal(b.session.state, 'connected')
  b.out.push(b.session.send('hello from the responder'))
  a.out.push(a.session.send('héllo 👋 from the initiator'))
  pump(a, b)
  assert.deepEqual(a.texts, ['hello from the responder'])
  assert.deepEqual(b.texts, ['héllo 👋 from the initiator'])
})

test('lines are padded: a 1-character and a 200-character line give frames of one size', () => {
  const { a } = connect('padding')
  const short = a.session.send('x')
  const long = a.session.send('y'.repeat(200))
  assert.equal(short.length, long.length)
})

test('a wrong code fails at key confirmation on both sides with a clear message', () => {
  const { a, b } = connect('wrong', { prsB: 'code-two' })
  assert.equal(a.session.state, 'destroyed')
  assert.equal(b.session.state, 'destroyed')
  assert.equal(a.destroyed?.reason, 'wrong-code')
  assert.match(a.destroyed?.detail ?? '', /room code does not match/)
  assert.equal(b.destroyed?.reason, 'wrong-code')
  assert.match(b.destroyed?.detail ?? '', /room codes differ/)
})

test('the PAKE is bound to the channel: another channel id fails like a wrong code', () => {
  const { a, b } = connect('channel', { ciB: 'A|M' })
  assert.equal(a.destroyed?.reason, 'wrong-code')
  assert.equal(b.destroyed?.reason, 'wrong-code')
})

test('a relay that rewrites any byte of any handshake frame destroys the session, never connects it', () => {
  for (let frameIndex = 0; frameIndex < 4; frameIndex++) {
    for (const at of [2, 10, 30, 45]) {
      const p = pair(`rewrite-${frameIndex}-${at}`)
      collect(p.a, p.a.session.start())
      collect(p.b, p.b.session.start())
      let seen = 0
      pump(p.a, p.b, (frame) => {
        if (seen++ !== frameIndex) return frame
        const out = frame.slice()
        const i = at % out.length
        out[i] = (out[i] as number) ^ 0x01
        return out
      })
      assert.equal(p.a.session.state, 'destroyed', `frame ${frameIndex} byte ${at}`)
      assert.equal(p.b.session.state, 'destroyed', `frame ${frameIndex} byte ${at}`)
    }
  }
})

test('a rewritten message after connecting destroys the receiver (authentication failure)', () => {
  const { a, b } = connect('tamper-message')
  a.out.push(a.session.send('secret'))
  pump(a, b, (frame) => {
    const out = frame.slice()
    out[out.length - 3] = (out[out.length - 3] as number) ^ 0x80
    return out
  })
  assert.equal(b.destroyed?.reason, 'protocol')
  assert.match(b.destroyed?.detail ?? '', /failed authentication/)
  assert.deepEqual(b.texts, [])
  assert.equal(a.destroyed?.reason, 'protocol', 'the sender hears the ABORT')
})

test('an unexpected frame (a replayed HELLO once connected, garbage) destroys the session', () => {
  const p = pair('unexpected')
  collect(p.a, p.a.session.start())
  const hello = p.a.out[0] as Uint8Array
  collect(p.b, p.b.session.start())
  pump(p.a, p.b)
  collect(p.b, p.b.session.receive(hello))
  assert.equal(p.b.destroyed?.reason, 'protocol')
  assert.match(p.b.destroyed?.detail ?? '', /unexpected hello frame/)
  const fresh = pair('garbage')
  collect(fresh.b, fresh.b.session.start())
  collect(fresh.b, fresh.b.session.receive(Uint8Array.of(1, 2, 3, 4)))
  assert.equal(fresh.b.destroyed?.reason, 'protocol')
  assert.equal(decodeRoomFrame(fresh.b.out[0] as Uint8Array).kind, 'abort')
})

test('a line over 1,000 characters is refused, and the input bucket limits bursts', () => {
  const { a, advance } = connect('limits')
  assert.throws(() => a.session.send('z'.repeat(MAX_ROOM_LINE_CHARS + 1)), RoomInputError)
  a.session.send('😀'.repeat(MAX_ROOM_LINE_CHARS))
  for (let i = 1; i < INPUT_BUCKET_CAPACITY; i++) a.session.send(`line ${i}`)
  assert.throws(() => a.session.send('one too many'), /slow down/)
  advance(1_000)
  a.session.send('after a second')
  assert.equal(a.session.state, 'connected')
})

test('a peer sending frames faster than its bucket is cut off', () => {
  const { a, b, advance } = connect('flood')
  const frames: Uint8Array[] = []
  for (let i = 0; i <= PEER_BUCKET_CAPACITY; i++) {
    advance(1_000) // our own input bucket lets one line a second through
    frames.push(a.session.send(`line ${i}`))
  }
  for (const f of frames) collect(b, b.session.receive(f))
  assert.equal(b.texts.length, PEER_BUCKET_CAPACITY)
  assert.equal(b.destroyed?.reason, 'flood')
})

test('/quit sends an authenticated goodbye, both sides end, and the session is inert after', () => {
  const { a, b } = connect('quit')
  collect(a, a.session.quit())
  assert.equal(a.destroyed?.reason, 'quit')
  pump(a, b)
  assert.equal(b.destroyed?.reason, 'peer-quit')
  assert.throws(() => a.session.send('still there?'), RoomInputError)
  assert.deepEqual(a.session.receive(Uint8Array.of(1)), [])
})
