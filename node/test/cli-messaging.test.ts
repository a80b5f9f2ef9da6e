/**
 * Two real daemons on loopback driven through the `wren` CLI: cards exchanged with `wren add`,
 * a message sent with `wren send` shows up in `wren history --json` on the other side, safety
 * numbers agree and verify, and `wren chat` sends typed lines and prints incoming ones live.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { type ChatPeer, eventually, startPeer, waitForEvent } from '../../test/fixtures/chat.ts'
import { runWren, startWren } from '../../test/fixtures/wren-cli.ts'
import { EXIT } from '../src/cli/exit-codes.ts'
import type { Contact, Message } from '../src/rpc/api.ts'

describe('two daemons chat through the wren CLI', () => {
  let alice: ChatPeer
  let bob: ChatPeer
  const as = (peer: ChatPeer) => (args: string[]) =>
    runWren(args, { home: peer.daemon.home, profile: peer.daemon.profile })

  before(async () => {
    alice = await startPeer('Alice')
    bob = await startPeer('Bob', { args: alice.addrs.flatMap((a) => ['--bootstrap', a]) })
  })
  after(async () => {
    await Promise.allSettled([alice?.stop(), bob?.stop()])
  })

  test('wren add takes the other side’s card (as printed by wren card), with or without a local name', async () => {
    const aliceCard = await as(alice)(['card'])
    const bobCard = await as(bob)(['card'])
    assert.equal(aliceCard.code, EXIT.OK, aliceCard.stderr)

    const addBob = await as(alice)(['add', bobCard.stdout.trim()])
    assert.equal(addBob.code, EXIT.OK, addBob.stderr)
    assert.match(addBob.stdout, /Added Bob \(wu/)

    const addAlice = await as(bob)(['add', aliceCard.stdout.trim(), '--name', 'Ally', '--json'])
    assert.equal(addAlice.code, EXIT.OK, addAlice.stderr)
    const contact = JSON.parse(addAlice.stdout) as Contact
    assert.equal(contact.userId, alice.userId)
    assert.equal(contact.displayName, 'Ally')

    const list = await as(alice)(['contacts', '--json'])
    assert.deepEqual(
      (JSON.parse(list.stdout).contacts as Contact[]).map((c) => c.userId),
      [bob.userId],
    )
  })

  test('wren send (contact by case-insensitive name) → wren history --json on the other side shows it', async () => {
    const sent = await as(alice)(['send', 'bob', 'hello', 'from', 'the', 'cli', '--json'])
    assert.equal(sent.code, EXIT.OK, sent.stderr)
    const message = JSON.parse(sent.stdout) as Message
    assert.equal(message.text, 'hello from the cli')
    assert.equal(message.direction, 'out')

    const received = await eventually('the message in bob’s history', async () => {
      const r = await as(bob)(['history', 'ally', '--json'])
      assert.equal(r.code, EXIT.OK, r.stderr)
      return (JSON.parse(r.stdout).messages as Message[]).find((m) => m.text === 'hello from the cli')
    })
    assert.equal(received.direction, 'in')
    assert.equal(received.sender, alice.userId)

    const human = await as(bob)(['history', alice.userId, '--limit', '5'])
    assert.equal(human.code, EXIT.OK, human.stderr)
    assert.match(human.stdout, /\] Ally: hello from the cli\n/)
  })

  test('safety numbers printed on both sides are equal; verify accepts the right one and refuses a wrong one', async () => {
    const a = await as(alice)(['safety-number', 'Bob', '--json'])
    const b = await as(bob)(['safety-number', 'Ally', '--json'])
    assert.equal(a.code, EXIT.OK, a.stderr)
    const number = JSON.parse(a.stdout).safetyNumber as string
    assert.match(number, /^\d{60}$/)
    assert.equal(JSON.parse(b.stdout).safetyNumber, number)

    const human = await as(alice)(['safety-number', 'Bob'])
    const grouped = human.stdout.split('\n').slice(1, 4).join(' ')
    assert.equal(grouped.replace(/ /g, ''), number, 'shown as groups of digits')

    const wrongDigits = `${number.slice(0, 59)}${(Number(number[59]) + 1) % 10}`
    const wrong = await as(alice)(['verify', 'Bob', '--safety-number', wrongDigits])
    assert.equal(wrong.code, EXIT.RPC_ERROR)
    assert.match(wrong.stderr, /SAFETY_NUMBER_MISMATCH/)
    const malformed = await as(alice)(['verify', 'Bob', '--safety-number', '1234'])
    assert.equal(malformed.code, EXIT.USAGE)

    const spaced = number.replace(/(\d{5})/g, '$1 ').trim()
    const ok = await as(alice)(['verify', 'Bob', '--safety-number', spaced, '--json'])
    assert.equal(ok.code, EXIT.OK, ok.stderr)
    assert.equal((JSON.parse(ok.stdout) as Contact).verified, true)
  })

  test('verify without a number to check is refused (exit 2) and names --i-compared; a scanned QR payload must be theirs', async () => {
    const bare = await as(bob)(['verify', 'Ally'])
    assert.equal(bare.code, EXIT.USAGE)
    assert.match(
      bare.stderr,
      /verify needs the safety number to check: --safety-number <digits> or --qr-payload/,
    )
    assert.match(bare.stderr, /--i-compared/)
    const both = await as(bob)(['verify', 'Ally', '--i-compared', '--safety-number', '1'.repeat(60)])
    assert.equal(both.code, EXIT.USAGE)
    let contacts = JSON.parse((await as(bob)(['contacts', '--json'])).stdout).contacts as Contact[]
    assert.equal(contacts[0]?.verified, false, 'nothing was marked verified')

    const ours = JSON.parse((await as(bob)(['safety-number', 'Ally', '--json'])).stdout).qrPayload as string
    const theirs = JSON.parse((await as(alice)(['safety-number', 'Bob', '--json'])).stdout)
      .qrPayload as string
    const own = await as(bob)(['verify', 'Ally', '--qr-payload', ours])
    assert.equal(own.code, EXIT.RPC_ERROR, 'our own QR code is not theirs')
    assert.match(own.stderr, /SAFETY_NUMBER_MISMATCH/)
    const garbage = await as(bob)(['verify', 'Ally', '--qr-payload', 'bm90IGEgcXIgcGF5bG9hZA=='])
    assert.equal(garbage.code, EXIT.RPC_ERROR)
    assert.match(garbage.stderr, /INVALID_INPUT/)
    const scanned = await as(bob)(['verify', 'Ally', '--qr-payload', theirs])
    assert.equal(scanned.code, EXIT.OK, scanned.stderr)
    contacts = JSON.parse((await as(bob)(['contacts', '--json'])).stdout).contacts as Contact[]
    assert.equal(contacts[0]?.verified, true)
  })

  test('verify --i-compared marks verified on the user’s word', async () => {
    const r = await as(alice)(['verify', 'Bob', '--i-compared', '--json'])
    assert.equal(r.code, EXIT.OK, r.stderr)
    assert.equal((JSON.parse(r.stdout) as Contact).verified, true)
  })

  test('wren chat sends typed lines and prints the other side’s messages as they arrive; /quit leaves', async () => {
    const chat = startWren(['chat', 'Bob'], { home: alice.daemon.home, profile: alice.daemon.profile })
    try {
      await chat.waitForStdout(/Chat with Bob/)
      const atBob = waitForEvent(bob.client, 'message.received', (p) => p.message.text === 'typed in chat')
      chat.child.stdin?.write('typed in chat\n')
      await atBob
      await chat.waitForStdout(/\] me: typed in chat/)

      await bob.client.call('messages.send', {
        conversationId: `dm:${alice.userId}`,
        text: 'reply while chatting',
      })
      await chat.waitForStdout(/\] Bob: reply while chatting/)

      chat.child.stdin?.write('/quit\n')
      const exit = await chat.exited()
      assert.equal(exit.code, EXIT.OK, exit.stderr)
    } finally {
      chat.child.kill('SIGKILL')
    }
  })
})
