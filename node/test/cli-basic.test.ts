/**
 * The `wren` CLI as a user runs it: a child process on this Node, against a real daemon process
 * in a temporary WREN_HOME. Usage errors, an absent daemon, identity creation, status, card,
 * unlock with a right and a wrong passphrase, a locked profile, and `wren daemon` itself.
 */
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { type SpawnedDaemon, spawnDaemon } from '../../test/fixtures/daemon.ts'
import { runWren, startWren } from '../../test/fixtures/wren-cli.ts'
import { EXIT } from '../src/cli/exit-codes.ts'
import { pickContact } from '../src/cli/resolve-contact.ts'
import type { Contact } from '../src/rpc/api.ts'

const PASSPHRASE = 'correct horse battery staple'
const WRONG_PASSPHRASE = 'incorrect donkey cell clip'
/** Bound on `wren daemon` writing its daemon.json, in ms. */
const DAEMON_READY_MS = 15_000

describe('wren CLI without a daemon', () => {
  let home: string
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'wren-cli-'))
  })
  after(async () => {
    await rm(home, { recursive: true, force: true })
  })

  test('usage errors exit 2: unknown command, missing argument, bad option value, bad profile name', async () => {
    for (const args of [
      ['frobnicate'],
      ['send', 'bob'],
      ['history', 'bob', '--limit', '0'],
      ['--timeout', 'soon', 'status'],
      ['--profile', '../etc', 'status'],
      [],
    ]) {
      const r = await runWren(args, { home })
      assert.equal(r.code, EXIT.USAGE, `wren ${args.join(' ')}: ${r.stderr}`)
      assert.notEqual(r.stderr, '', 'the error is explained on stderr')
    }
  })

  test('--help exits 0 and lists every exit code', async () => {
    const r = await runWren(['--help'])
    assert.equal(r.code, EXIT.OK)
    for (const code of Object.values(EXIT)) assert.match(r.stdout, new RegExp(`^  ${code}  \\S`, 'm'))
  })

  test('a command that needs the daemon exits 3 with a clear message when none runs', async () => {
    const r = await runWren(['status'], { home, profile: 'nobody' })
    assert.equal(r.code, EXIT.DAEMON_UNREACHABLE)
    assert.match(r.stderr, /no daemon running for profile nobody/)
    assert.match(r.stderr, /npx wren --profile nobody daemon/)
    assert.equal(r.stdout, '')
  })

  test('with --json the failure is one JSON object on stderr', async () => {
    const r = await runWren(['contacts', '--json'], { home, profile: 'nobody' })
    assert.equal(r.code, EXIT.DAEMON_UNREACHABLE)
    assert.equal(JSON.parse(r.stderr).error.exit, EXIT.DAEMON_UNREACHABLE)
  })

  test('init refuses to run without a passphrase source when there is no terminal (exit 2)', async () => {
    const r = await runWren(['init', '--name', 'Alice'], { home, profile: 'nobody' })
    assert.equal(r.code, EXIT.USAGE)
    assert.match(r.stderr, /--passphrase-file/)
  })
})

describe('wren CLI against a running daemon', () => {
  let d: SpawnedDaemon
  let passFile: string
  const run = (args: string[], env?: Record<string, string>) =>
    runWren(args, { home: d.home, profile: d.profile, env })

  before(async () => {
    d = await spawnDaemon()
    passFile = join(d.home, 'passphrase.txt')
    await writeFile(passFile, `${PASSPHRASE}\n`, { mode: 0o600 })
  })
  after(async () => {
    await d?.stop()
  })

  test('before init: status shows no identity, and card exits 6 pointing at wren init', async () => {
    const status = await run(['status', '--json'])
    assert.equal(status.code, EXIT.OK, status.stderr)
    assert.equal(JSON.parse(status.stdout).hasIdentity, false)
    const card = await run(['card'])
    assert.equal(card.code, EXIT.LOCKED)
    assert.match(card.stderr, /NO_IDENTITY/)
    assert.match(card.stderr, /npx wren --profile p init/)
  })

  test('a too short new passphrase is refused before reaching the daemon (exit 2), and not echoed', async () => {
    const r = await run(['init', '--name', 'Alice'], { WREN_PASSPHRASE: 'qz7x' })
    assert.equal(r.code, EXIT.USAGE)
    assert.match(r.stderr, /at least 8 characters/)
    assert.ok(!(r.stdout + r.stderr).includes('qz7x'))
  })

  test('init creates the identity and status --json then shows it unlocked', async () => {
    const init = await run(['init', '--name', 'Alice', '--passphrase-file', passFile])
    assert.equal(init.code, EXIT.OK, init.stderr)
    const userId = init.stdout.match(/user id: (wu[a-z2-7]{26})/)?.[1]
    assert.ok(userId, init.stdout)
    assert.ok(!(init.stdout + init.stderr).includes(PASSPHRASE), 'the passphrase is never printed')

    const status = await run(['status', '--json'])
    assert.equal(status.code, EXIT.OK, status.stderr)
    const s = JSON.parse(status.stdout)
    assert.equal(s.hasIdentity, true)
    assert.equal(s.unlocked, true)
    assert.equal(s.userId, userId)
    assert.equal(s.profile, d.profile)
  })

  test('init twice is a daemon error (exit 4, ALREADY_EXISTS)', async () => {
    const r = await run(['init', '--name', 'Again'], { WREN_PASSPHRASE: PASSPHRASE })
    assert.equal(r.code, EXIT.RPC_ERROR)
    assert.match(r.stderr, /ALREADY_EXISTS \(-32006\)/)
  })

  // A card is signed when it is issued (its timestamp changes), so runs are compared by shape.
  test("card prints the 'wren:' card alone; --json and --qr carry a card too", async () => {
    const plain = await run(['card'])
    assert.equal(plain.code, EXIT.OK, plain.stderr)
    assert.match(plain.stdout, /^wren:\S+\n$/)
    const json = await run(['card', '--json'])
    assert.equal(json.code, EXIT.OK, json.stderr)
    assert.match(JSON.parse(json.stdout).card, /^wren:\S+$/)
    const qr = await run(['card', '--qr'])
    assert.equal(qr.code, EXIT.OK, qr.stderr)
    const lines = qr.stdout.trimEnd().split('\n')
    assert.match(lines.at(-1) ?? '', /^wren:\S+$/)
    assert.ok(lines.length > 10, 'a QR code is drawn above the card')
  })

  test('unlock with a wrong passphrase exits 4 (WRONG_PASSPHRASE) without printing it; the right one on stdin exits 0', async () => {
    const wrong = await run(['unlock'], { WREN_PASSPHRASE: WRONG_PASSPHRASE })
    assert.equal(wrong.code, EXIT.RPC_ERROR)
    assert.match(wrong.stderr, /WRONG_PASSPHRASE/)
    assert.ok(!(wrong.stdout + wrong.stderr).includes(WRONG_PASSPHRASE))
    const empty = await run(['unlock', '--passphrase-file', '-'])
    assert.equal(empty.code, EXIT.USAGE, 'empty stdin is no passphrase')
    const viaStdin = await runWren(['unlock', '--passphrase-file', '-'], {
      home: d.home,
      profile: d.profile,
      stdin: `${PASSPHRASE}\n`,
    })
    assert.equal(viaStdin.code, EXIT.OK, viaStdin.stderr)
  })

  test('an unknown contact exits 5', async () => {
    const r = await run(['send', 'Nobody', 'hello'])
    assert.equal(r.code, EXIT.NOT_FOUND)
    assert.match(r.stderr, /no contact named "Nobody"/)
  })

  test('after a daemon restart the profile is locked: commands exit 6 until wren unlock', async () => {
    const home = d.home
    const profile = d.profile
    await d.client.close()
    d.child.kill('SIGTERM')
    await new Promise((resolve) => d.child.once('exit', resolve))
    d = await spawnDaemon({ home, profile, keepHome: false })

    const locked = await run(['contacts'])
    assert.equal(locked.code, EXIT.LOCKED)
    assert.match(locked.stderr, /LOCKED/)
    assert.match(locked.stderr, /npx wren --profile p unlock/)
    const unlock = await run(['unlock', '--passphrase-file', passFile])
    assert.equal(unlock.code, EXIT.OK, unlock.stderr)
    const contacts = await run(['contacts', '--json'])
    assert.equal(contacts.code, EXIT.OK, contacts.stderr)
    assert.deepEqual(JSON.parse(contacts.stdout), { contacts: [] })
  })
})

describe('wren daemon', () => {
  test('runs the daemon in the foreground, serves the CLI, and stops cleanly on SIGTERM', async () => {
    const home = await mkdtemp(join(tmpdir(), 'wren-cli-daemon-'))
    const daemon = startWren(['daemon'], { home, profile: 'fg' })
    try {
      const info = join(home, 'fg', 'daemon.json')
      const deadline = Date.now() + DAEMON_READY_MS
      while (!(await stat(info).catch(() => null))) {
        assert.ok(Date.now() < deadline, `daemon.json not written in time\n${daemon.stderr()}`)
        assert.equal(daemon.child.exitCode, null, daemon.stderr())
        await new Promise((r) => setTimeout(r, 50))
      }
      const status = await runWren(['status', '--json'], { home, profile: 'fg' })
      assert.equal(status.code, EXIT.OK, status.stderr)
      const { pid } = JSON.parse(await readFile(info, 'utf8'))
      assert.notEqual(pid, daemon.child.pid, 'the daemon runs as a child of wren')

      daemon.child.kill('SIGTERM')
      const exit = await daemon.exited()
      assert.equal(exit.code, EXIT.OK, exit.stderr)
      assert.equal(await stat(info).catch(() => null), null, 'daemon.json removed on a clean stop')
    } finally {
      daemon.child.kill('SIGKILL')
      await rm(home, { recursive: true, force: true })
    }
  })
})

describe('contact resolution', () => {
  const contact = (userId: string, displayName: string): Contact => ({
    userId,
    displayName,
    identityKey: '0'.repeat(64),
    verified: false,
    keyChanged: false,
    online: false,
    addedAt: 0,
  })
  const a = contact(`wu${'a'.repeat(26)}`, 'Alice')
  const b1 = contact(`wu${'b'.repeat(26)}`, 'Bob')
  const b2 = contact(`wu${'c'.repeat(26)}`, 'bob')

  test('a user id or a case-insensitive unique name picks the contact', () => {
    assert.equal(pickContact([a, b1], 'ALICE'), a)
    assert.equal(pickContact([a, b1], a.userId.toUpperCase()), a)
  })

  test('an ambiguous name, an unknown name or an unknown user id is a not-found error (exit 5)', () => {
    for (const query of ['bob', 'carol', `wu${'d'.repeat(26)}`])
      assert.throws(
        () => pickContact([a, b1, b2], query),
        (e: Error & { exitCode?: number }) =>
          e.name === 'ContactNotFoundError' && e.exitCode === EXIT.NOT_FOUND,
      )
  })
})
