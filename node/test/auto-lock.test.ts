/**
 * Auto-lock on a fake clock: it locks after the idle minutes and not before, activity (but not a
 * passive poll) moves the deadline, a changed setting applies at once, off never locks, and a
 * disarmed (locked) profile runs no timer.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AutoLock, type AutoLockClock } from '../src/app/auto-lock.ts'

const MINUTE = 60_000

/** A manual clock: advance() runs the timers that fall due, in order. */
class FakeClock implements AutoLockClock {
  #now = 1_000_000
  #next = 1
  readonly timers = new Map<number, { at: number; fn: () => void }>()
  now(): number {
    return this.#now
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++
    this.timers.set(id, { at: this.#now + ms, fn })
    return id
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number)
  }
  advance(ms: number): void {
    const end = this.#now + ms
    for (;;) {
      const due = [...this.timers.entries()]
        .filter(([, t]) => t.at <= end)
        .sort((a, b) => a[1].at - b[1].at)[0]
      if (due === undefined) break
      this.timers.delete(due[0])
      this.#now = due[1].at
      due[1].fn()
    }
    this.#now = end
  }
}

function setup() {
  const clock = new FakeClock()
  const locks: number[] = []
  const autoLock = new AutoLock({
    clock,
    lock: async () => {
      locks.push(clock.now())
    },
    log: { info() {}, warn() {} },
  })
  return { clock, locks, autoLock }
}

test('locks after exactly the idle minutes without activity, and not a moment before', () => {
  const { clock, locks, autoLock } = setup()
  const start = clock.now()
  autoLock.arm(5)
  clock.advance(5 * MINUTE - 1)
  assert.deepEqual(locks, [])
  clock.advance(1)
  assert.deepEqual(locks, [start + 5 * MINUTE])
  clock.advance(60 * MINUTE)
  assert.equal(locks.length, 1, 'once locked it does not lock again')
  assert.equal(clock.timers.size, 0)
})

test('activity moves the deadline; passive polls (node.status, contacts.list, events.subscribe) do not', () => {
  const { clock, locks, autoLock } = setup()
  autoLock.arm(2)
  clock.advance(MINUTE)
  autoLock.activity('messages.list')
  const active = clock.now()
  clock.advance(MINUTE + 30_000)
  for (const method of ['node.status', 'contacts.list', 'events.subscribe', 'node.doctor'])
    autoLock.activity(method)
  assert.deepEqual(locks, [], 'two minutes have not passed since messages.list')
  clock.advance(30_000)
  assert.deepEqual(locks, [active + 2 * MINUTE])
})

test('off never locks; turning it on while unlocked counts from the last activity', () => {
  const { clock, locks, autoLock } = setup()
  autoLock.arm(null)
  clock.advance(24 * 60 * MINUTE)
  assert.deepEqual(locks, [])
  assert.equal(autoLock.armed, false)
  autoLock.activity('messages.send')
  const last = clock.now()
  clock.advance(3 * MINUTE)
  autoLock.setMinutes(10)
  clock.advance(7 * MINUTE - 1)
  assert.deepEqual(locks, [])
  clock.advance(1)
  assert.deepEqual(locks, [last + 10 * MINUTE])
})

test('a disarmed (locked, stopping) auto-lock runs no timer; arming again starts a fresh window', () => {
  const { clock, locks, autoLock } = setup()
  autoLock.arm(1)
  autoLock.disarm()
  assert.equal(clock.timers.size, 0)
  clock.advance(10 * MINUTE)
  assert.deepEqual(locks, [])
  autoLock.arm(1)
  const armedAt = clock.now()
  clock.advance(MINUTE)
  assert.deepEqual(locks, [armedAt + MINUTE])
})
