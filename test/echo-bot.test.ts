/**
 * examples/echo-bot.ts as a bot writer runs it: a process on one daemon's profile. Alice sends
 * from another daemon (with the wren CLI) and gets "echo: <text>" back; the bot never answers
 * its own echoes; when its daemon restarts it connects again, unlocks and goes on answering;
 * SIGTERM stops it cleanly.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { RECONNECT_MAX_MS } from '../node/src/rpc/client.ts'
import { type ChatPeer, startPair, TEST_PASSPHRASE, waitForEvent } from './fixtures/chat.ts'
import { type SpawnedDaemon, spawnDaemon } from './fixtures/daemon.ts'
import { runWren } from './fixtures/wren-cli.ts'

const BOT = join(dirname(fileURLToPath(import.meta.url)), '../examples/echo-bot.ts')
/** Bound on the bot connecting and subscribing, and on it exiting after SIGTERM, in ms. */
const BOT_WAIT_MS = 15_000

describe('echo bot', () => {
  let alice: ChatPeer
  let bob: ChatPeer
  let bot: ReturnType<typeof spawn>
  let botOut = ''
  let botErr = ''

  before(async () => {
    ;({ alice, bob } = await startPair())
    bot = spawn(process.execPath, [BOT, '--home', bob.daemon.home, '--profile', bob.daemon.profile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // the bot unlocks its profile again after a daemon restart when it has the passphrase
      env: { ...process.env, WREN_PASSPHRASE: TEST_PASSPHRASE },
    })
    bot.stdout?.setEncoding('utf8').on('data', (c: string) => {
      botOut += c
    })
    bot.stderr?.setEncoding('utf8').on('data', (c: string) => {
      botErr += c
    })
    const deadline = Date.now() + BOT_WAIT_MS
    while (!botOut.includes('ready')) {
      assert.equal(bot.exitCode, null, `bot exited early: ${botErr}`)
      assert.ok(Date.now() < deadline, `bot not ready in time: ${botErr}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  })
  let restarted: SpawnedDaemon | undefined
  after(async () => {
    bot?.kill('SIGKILL')
    await restarted?.stop()
    await Promise.allSettled([alice?.stop(), bob?.stop()])
  })

  test('a message sent to the bot’s profile comes back as "echo: <text>"', async () => {
    const echoed = waitForEvent(alice.client, 'message.received', (p) => p.message.text === 'echo: ping 1')
    const sent = await runWren(['send', bob.userId, 'ping 1'], {
      home: alice.daemon.home,
      profile: alice.daemon.profile,
    })
    assert.equal(sent.code, 0, sent.stderr)
    const { message } = await echoed
    assert.equal(message.sender, bob.userId)
    assert.equal(message.conversationId, `dm:${bob.userId}`)
  })

  test('the bot does not answer an echo, so two bots cannot loop', async () => {
    const second = waitForEvent(alice.client, 'message.received', (p) => p.message.text === 'echo: ping 2')
    await alice.client.call('messages.send', {
      conversationId: `dm:${bob.userId}`,
      text: 'echo: already an echo',
    })
    await alice.client.call('messages.send', { conversationId: `dm:${bob.userId}`, text: 'ping 2' })
    await second // the later message was answered, so the earlier one had been handled
    const page = await alice.client.call('messages.list', { conversationId: `dm:${bob.userId}` })
    const incoming = page.messages.filter((m) => m.direction === 'in').map((m) => m.text)
    assert.deepEqual(incoming, ['echo: ping 1', 'echo: ping 2'])
  })

  test('the bot’s daemon restarts: the bot connects again, unlocks it and answers again', async () => {
    await bob.daemon.stop()
    restarted = await spawnDaemon({
      home: bob.daemon.home,
      profile: bob.daemon.profile,
      keepHome: true,
      args: alice.addrs.flatMap((a) => ['--bootstrap', a]),
    })
    // the first attempt comes RECONNECT_MIN_MS after the drop; a failed one doubles the wait
    const deadline = Date.now() + RECONNECT_MAX_MS
    while (!botOut.includes('reconnected')) {
      assert.equal(bot.exitCode, null, `bot exited: ${botErr}`)
      assert.ok(Date.now() < deadline, `bot did not reconnect in time: ${botErr}`)
      await new Promise((r) => setTimeout(r, 100))
    }
    const echoed = waitForEvent(alice.client, 'message.received', (p) => p.message.text === 'echo: ping 3')
    await alice.client.call('messages.send', { conversationId: `dm:${bob.userId}`, text: 'ping 3' })
    await echoed
  })

  test('SIGTERM stops the bot with exit code 0', async () => {
    const exited = new Promise<number | null>((resolve) => bot.once('exit', (code) => resolve(code)))
    bot.kill('SIGTERM')
    const timer = setTimeout(() => bot.kill('SIGKILL'), BOT_WAIT_MS)
    const code = await exited
    clearTimeout(timer)
    assert.equal(code, 0, botErr)
  })
})
