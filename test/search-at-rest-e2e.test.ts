/**
 * The search index at rest (issue 17: "the index is sealed at rest like everything else"): Wren's
 * index lives in the daemon's memory only (node/src/search/search-service.ts) and the messages it
 * is built from are sealed records. Two real daemons exchange messages with words found nowhere
 * else, both search them (so both indexes are built and followed an edit), then stop; no file in
 * either profile folder holds any of those words, in UTF-8 or UTF-16, nor the edited-away word.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { after, before, describe, test } from 'node:test'
import type { WrenClient } from '../node/src/rpc/client.ts'
import { type ChatPeer, eventually, startPair, waitForEvent } from './fixtures/chat.ts'
import { filesUnder } from './fixtures/files-under.ts'

/** Words no other part of a profile contains: made-up, long, and each searched for below. */
const SECRET_WORDS = ['quillfeatherbrook', 'marrowlanternfield', 'osprigvellumcrest']
/** The word an edit replaces: it must leave the index and never be at rest either. */
const EDITED_AWAY = 'thistledownharbour'

async function found(client: WrenClient, query: string): Promise<string[]> {
  return (await client.call('messages.search', { query, limit: 20 })).results.map((r) => r.messageId)
}

describe('the search index at rest', () => {
  let alice: ChatPeer
  let bob: ChatPeer

  before(async () => {
    ;({ alice, bob } = await startPair())
  })
  after(async () => {
    await Promise.allSettled([alice?.stop(), bob?.stop()])
  })

  test('after messages are indexed and searched on both sides, no profile file holds their words', async () => {
    const toBob = `dm:${bob.userId}`
    const ids: string[] = []
    for (const word of SECRET_WORDS) {
      const arrived = waitForEvent(bob.client, 'message.received', (p) => p.message.text.includes(word))
      const { message } = await alice.client.call('messages.send', {
        conversationId: toBob,
        text: `the ${word} is where we meet`,
      })
      ids.push(message.id)
      await arrived
    }
    const editedArrived = waitForEvent(bob.client, 'message.received', (p) =>
      p.message.text.includes(EDITED_AWAY),
    )
    const { message: toEdit } = await alice.client.call('messages.send', {
      conversationId: toBob,
      text: `meet at ${EDITED_AWAY}`,
    })
    await editedArrived
    // both indexes are built now (the first search builds it) and follow the edit below
    for (const client of [alice.client, bob.client]) {
      for (const [i, word] of SECRET_WORDS.entries())
        assert.deepEqual(await found(client, word.slice(0, 9)), [ids[i]])
      assert.deepEqual(await found(client, EDITED_AWAY), [toEdit.id])
    }
    const edited = waitForEvent(bob.client, 'message.updated', (p) => p.messageId === toEdit.id)
    await alice.client.call('messages.edit', { messageId: toEdit.id, text: 'meet at the station' })
    await edited
    for (const client of [alice.client, bob.client])
      await eventually('the edit indexed', async () =>
        (await found(client, EDITED_AWAY)).length === 0 ? true : undefined,
      )

    await Promise.all([alice.daemon.stop(), bob.daemon.stop()])
    const needles = [...SECRET_WORDS, EDITED_AWAY].flatMap((w) => [
      Buffer.from(w, 'utf8'),
      Buffer.from(w, 'utf16le'),
    ])
    let checked = 0
    for (const home of [alice.home, bob.home])
      for (const file of await filesUnder(home)) {
        const content = await readFile(file)
        for (const needle of needles)
          assert.equal(content.indexOf(needle), -1, `${file} holds a searched word in the clear`)
        checked++
      }
    assert.ok(checked > 10, `only ${checked} files`)
  })
})
