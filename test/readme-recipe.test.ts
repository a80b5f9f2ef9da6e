/**
 * The README's "Two people on one machine" recipe, step by step, with the commands a user types
 * (`npx wren` is node/bin/wren.js on the pinned Node): two plain daemons on production settings,
 * the second bootstrapped to the first's address as `wren status` shows it before any identity
 * exists, identities created, cards exchanged both ways, then a message each way. Each message
 * must be delivered within RECIPE_DELIVERY_MS of `wren send`.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { runWren, type StartedWren, startWren } from './fixtures/wren-cli.ts'

/** The bar: a message each way delivered within 10 s of sending. */
const RECIPE_DELIVERY_MS = 10_000
/** Bound on a daemon writing daemon.json. */
const DAEMON_READY_MS = 15_000
const POLL_MS = 100
const PASSPHRASE = 'recipe-passphrase-1'

describe('the README recipe: two people on one machine', () => {
  let home: string
  const daemons: StartedWren[] = []
  const as = (profile: string) => (args: string[]) =>
    runWren(args, { home, profile, env: { WREN_PASSPHRASE: PASSPHRASE } })

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'wren-recipe-'))
  })

  after(async () => {
    for (const d of daemons) {
      d.child.kill('SIGTERM')
      await d.exited().catch(() => {})
    }
    await rm(home, { recursive: true, force: true })
  })

  async function daemonReady(profile: string, daemon: StartedWren): Promise<void> {
    const deadline = Date.now() + DAEMON_READY_MS
    while (!(await stat(join(home, profile, 'daemon.json')).catch(() => null))) {
      assert.ok(Date.now() < deadline, `${profile}'s daemon did not start:\n${daemon.stderr()}`)
      assert.equal(daemon.child.exitCode, null, daemon.stderr())
      await new Promise((r) => setTimeout(r, POLL_MS))
    }
  }

  async function waitDelivered(profile: string, contact: string, text: string): Promise<number> {
    const t0 = Date.now()
    for (;;) {
      const r = await as(profile)(['history', contact, '--json'])
      assert.equal(r.code, 0, r.stderr)
      const { messages } = JSON.parse(r.stdout) as { messages: Array<{ text: string; status: string }> }
      const mine = messages.find((m) => m.text === text)
      if (mine?.status === 'delivered' || mine?.status === 'read') return Date.now() - t0
      assert.ok(
        Date.now() - t0 < RECIPE_DELIVERY_MS,
        `"${text}" not delivered within ${RECIPE_DELIVERY_MS} ms: ${JSON.stringify(mine)}`,
      )
      await new Promise((r) => setTimeout(r, POLL_MS))
    }
  }

  test('daemons, status before init, init, cards both ways, and a message each way within 10 s', async (t) => {
    // npx wren --profile alice daemon
    const alice = startWren(['daemon'], { home, profile: 'alice' })
    daemons.push(alice)
    await daemonReady('alice', alice)

    // alice's address, from `wren --profile alice status`, before she has an identity
    const status = await as('alice')(['status'])
    assert.equal(status.code, 0, status.stderr)
    const addr = status.stdout.match(/listening:\s+(\/ip4\/127\.0\.0\.1\/tcp\/\d+\S*)/)?.[1]
    assert.ok(addr !== undefined, `status before init shows a loopback listen address:\n${status.stdout}`)

    // npx wren --profile bob daemon --bootstrap <alice's address>
    const bob = startWren(['daemon', '--bootstrap', addr], { home, profile: 'bob' })
    daemons.push(bob)
    await daemonReady('bob', bob)

    for (const [profile, name] of [
      ['alice', 'Alice'],
      ['bob', 'Bob'],
    ] as const) {
      const init = await as(profile)(['init', '--name', name])
      assert.equal(init.code, 0, init.stderr)
    }

    const aliceCard = await as('alice')(['card'])
    const bobCard = await as('bob')(['card'])
    assert.equal(aliceCard.code, 0, aliceCard.stderr)
    assert.equal(bobCard.code, 0, bobCard.stderr)
    assert.equal((await as('alice')(['add', bobCard.stdout.trim()])).code, 0)
    assert.equal((await as('bob')(['add', aliceCard.stdout.trim()])).code, 0)

    const hello = await as('alice')(['send', 'Bob', 'hello'])
    assert.equal(hello.code, 0, hello.stderr)
    const toBob = await waitDelivered('alice', 'Bob', 'hello')

    const back = await as('bob')(['send', 'Alice', 'hi alice'])
    assert.equal(back.code, 0, back.stderr)
    const toAlice = await waitDelivered('bob', 'Alice', 'hi alice')

    // and each side has the other's message
    const bobHistory = JSON.parse((await as('bob')(['history', 'Alice', '--json'])).stdout)
    assert.ok(bobHistory.messages.some((m: { text: string }) => m.text === 'hello'))
    const aliceHistory = JSON.parse((await as('alice')(['history', 'Bob', '--json'])).stdout)
    assert.ok(aliceHistory.messages.some((m: { text: string }) => m.text === 'hi alice'))
    t.diagnostic(`delivered alice → bob in ${toBob} ms, bob → alice in ${toAlice} ms`)
  })
})
