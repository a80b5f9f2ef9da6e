/**
 * A room whose code nobody uses ends by itself after the expiry, says so, and stops its host;
 * /quit while searching ends it at once. The real Room with its own libp2p host (no relay: on
 * the test's private network namespace it finds nobody, which is the point).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Room, type RoomNodeEvent } from '../src/room/room.ts'

/** The expiry under test, in ms: long enough for the slow hash and the host to start under load. */
const SHORT_EXPIRY_MS = 4_000
/** Bound on the room ending after its expiry. */
const END_BOUND_MS = 30_000

function bounded<T>(promise: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} within ${END_BOUND_MS} ms`)), END_BOUND_MS).unref(),
    ),
  ])
}

test('an unused code expires: the room ends with reason expired and says why', async () => {
  const events: RoomNodeEvent[] = []
  const room = new Room({
    code: 'EXP1RES00N01',
    bootstrap: [],
    expiryMs: SHORT_EXPIRY_MS,
    onEvent: (e) => events.push(e),
  })
  const started = Date.now()
  await room.open()
  assert.equal(await bounded(room.finished, 'room ended'), 'expired')
  assert.ok(Date.now() - started >= SHORT_EXPIRY_MS - 50)
  const ended = events.find((e) => e.type === 'ended')
  assert.match(ended?.type === 'ended' ? ended.detail : '', /nobody joined within .* the code expired/)
  assert.deepEqual(
    events.filter((e) => e.type === 'state').map((e) => (e.type === 'state' ? e.state : '')),
    ['searching', 'destroyed'],
  )
})

test('/quit while searching ends the room at once', async () => {
  const room = new Room({ code: 'QU1TSEARCH00', bootstrap: [], onEvent: () => {} })
  await room.open()
  await room.quit()
  assert.equal(await bounded(room.finished, 'room ended'), 'quit')
})
