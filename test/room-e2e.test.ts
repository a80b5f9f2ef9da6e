/**
 * Ephemeral rooms end to end (issue 19 item 1): `wren room` processes meet through a real relay
 * (a child process: it serves the DHTs and the circuit), authenticate with CPace keyed by the
 * code, chat, and leave; nothing is written under WREN_HOME, HOME or the temp dir they were
 * given, and the text is in no file of those nor of the relay's store. A third joiner is refused;
 * an impostor who knows the rendezvous but not the code fails the PAKE with a clear message.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { fileContaining, filesUnder } from './fixtures/files-under.ts'
import { startTestRelay, type TestRelay } from './fixtures/relay.ts'
import { type StartedWren, startWren } from './fixtures/wren-cli.ts'

/** Bound on meeting: two slow hashes (~1 s each under load), a reservation, DHT rounds of 2 s. */
const MEET_TIMEOUT_MS = 60_000
/** Bound on one line crossing, or on a room process ending after /quit. */
const LINE_TIMEOUT_MS = 20_000
const ROOM_FAILED_EXIT = 7

let relay: TestRelay
let sandbox: string
let relayAddr: string

before(async () => {
  relay = await startTestRelay({ mode: 'process' })
  const tcp = relay.multiaddrs.find((m) => m.toString().includes('/tcp/') && !m.toString().includes('/ws'))
  assert.ok(tcp, 'relay has a TCP address')
  relayAddr = tcp.toString().includes('/p2p/') ? tcp.toString() : `${tcp.toString()}/p2p/${relay.peerId}`
  sandbox = await mkdtemp(join(tmpdir(), 'wren-room-e2e-'))
})

after(async () => {
  await relay?.stop()
  if (sandbox !== undefined) await rm(sandbox, { recursive: true, force: true })
})

/** A place for one person: its own TMPDIR, HOME and WREN_HOME (the latter never created). */
async function person(name: string) {
  const root = join(sandbox, name)
  const tmp = join(root, 'tmp')
  const home = join(root, 'home')
  await mkdir(tmp, { recursive: true })
  await mkdir(home, { recursive: true })
  return { root, tmp, home, wrenHome: join(root, 'wren-home') }
}

function room(p: Awaited<ReturnType<typeof person>>, args: string[]): StartedWren {
  return startWren(['room', ...args, '--relay', relayAddr], {
    home: p.wrenHome,
    env: { TMPDIR: p.tmp, HOME: p.home },
  })
}

test('two people with the same code meet through a relay, chat both ways, /quit ends both, and nothing is written', async () => {
  const alice = await person('alice')
  const bob = await person('bob')
  const a = room(alice, [])
  const codeLine = await a.waitForStdout(/room code: [0-9A-Z-]+/, LINE_TIMEOUT_MS)
  const code = codeLine.replace('room code: ', '')
  const b = room(bob, [code.toLowerCase()])
  try {
    await a.waitForStdout(/connected: end-to-end encrypted/, MEET_TIMEOUT_MS)
    await b.waitForStdout(/connected: end-to-end encrypted/, MEET_TIMEOUT_MS)
    a.child.stdin?.write('kestrel over the ridge 4711\n')
    await b.waitForStdout(/them: kestrel over the ridge 4711/, LINE_TIMEOUT_MS)
    b.child.stdin?.write('heron by the weir 0815\n')
    await a.waitForStdout(/them: heron by the weir 0815/, LINE_TIMEOUT_MS)
    a.child.stdin?.write('/quit\n')
    const [ra, rb] = await Promise.all([a.exited(LINE_TIMEOUT_MS), b.exited(LINE_TIMEOUT_MS)])
    assert.equal(ra.code, 0, ra.stderr)
    assert.equal(rb.code, 0, rb.stderr)
    assert.match(rb.stdout, /room closed: the other side left the room/)
  } finally {
    a.child.kill('SIGKILL')
    b.child.kill('SIGKILL')
  }
  assert.equal(existsSync(alice.wrenHome), false, 'no WREN_HOME created')
  assert.equal(existsSync(bob.wrenHome), false, 'no WREN_HOME created')
  assert.deepEqual(await filesUnder(alice.root), [], 'nothing in TMPDIR or HOME')
  assert.deepEqual(await filesUnder(bob.root), [], 'nothing in TMPDIR or HOME')
  for (const needle of ['kestrel over the ridge', 'heron by the weir'])
    assert.equal(await fileContaining([sandbox, relay.dataDir], needle), null, `no "${needle}" in any file`)
})

test('a malformed code is a usage error (exit 2) that names the rule, and nothing is created', async () => {
  const p = await person('typo')
  for (const bad of ['SHORT', 'ABCD-EFGH-UUUU', 'X'.repeat(17)]) {
    const r = await room(p, [bad]).exited(LINE_TIMEOUT_MS)
    assert.equal(r.code, 2, `${bad}: ${r.stderr}`)
    assert.match(r.stderr, /a room code (has 8 to 16 characters|uses only)/)
  }
  assert.equal(existsSync(p.wrenHome), false)
  assert.deepEqual(await filesUnder(p.root), [])
})

test('a third person with the same code is refused while two are in the room', async () => {
  const [alice, bob, carol] = await Promise.all([person('alice3'), person('bob3'), person('carol3')])
  const a = room(alice, [])
  const code = (await a.waitForStdout(/room code: [0-9A-Z-]+/, LINE_TIMEOUT_MS)).replace('room code: ', '')
  const b = room(bob, [code])
  let c: StartedWren | null = null
  try {
    await a.waitForStdout(/connected/, MEET_TIMEOUT_MS)
    await b.waitForStdout(/connected/, MEET_TIMEOUT_MS)
    c = room(carol, [code])
    const rc = await c.exited(MEET_TIMEOUT_MS)
    assert.equal(rc.code, ROOM_FAILED_EXIT, rc.stdout + rc.stderr)
    assert.match(rc.stdout, /room closed: the room is full/)
    // the two inside are undisturbed
    a.child.stdin?.write('still here\n')
    await b.waitForStdout(/them: still here/, LINE_TIMEOUT_MS)
    a.child.stdin?.write('/quit\n')
    await Promise.all([a.exited(LINE_TIMEOUT_MS), b.exited(LINE_TIMEOUT_MS)])
  } finally {
    for (const p of [a, b, c]) p?.child.kill('SIGKILL')
  }
})

test('an impostor who knows the rendezvous but not the code fails the PAKE: the room says the codes do not match', async () => {
  const victim = await person('victim')
  const v = room(victim, ['ABCD-EFGH-JKMN-PQ'])
  const impostor = spawn(
    process.execPath,
    [join(import.meta.dirname, 'fixtures/room-impostor.ts'), 'ABCDEFGHJKMNPQ', 'ABCDEFGHJKMNPR', relayAddr],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: victim.tmp } },
  )
  let impostorOut = ''
  impostor.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    impostorOut += chunk
  })
  const impostorExit = new Promise<number | null>((resolve) => impostor.once('close', resolve))
  try {
    const rv = await v.exited(MEET_TIMEOUT_MS)
    assert.equal(rv.code, ROOM_FAILED_EXIT, rv.stdout + rv.stderr)
    assert.match(
      rv.stdout,
      /room closed: (the room code does not match|the other side could not confirm the key)/,
    )
    assert.doesNotMatch(rv.stdout, /connected: end-to-end/)
    await Promise.race([impostorExit, new Promise((r) => setTimeout(r, LINE_TIMEOUT_MS))])
    assert.match(impostorOut, /ended:wrong-code:/)
    assert.doesNotMatch(impostorOut, /state:connected/)
  } finally {
    v.child.kill('SIGKILL')
    if (impostor.exitCode === null) impostor.kill('SIGKILL')
  }
})
