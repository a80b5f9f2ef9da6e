/**
 * Typing, presence, group actions with mentions, and search in the desktop page, end to end:
 * three real daemons (alice, bob, cat; a group of the three), a desktop server and a headless
 * Chromium page each for alice and bob (cat acts through its RPC). Everything a page shows
 * arrives live from the other daemon; everything a page does is done with its own controls.
 * Screenshots go to test-artifacts/desktop-conversation-live/.
 */
import assert from 'node:assert/strict'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { buildDesktop } from '../desktop/build.ts'
import { findChromium, launchBrowser } from '../desktop/preview/chromium.ts'
import { type DesktopServer, startDesktopServer } from '../desktop/server.ts'
import { type ChatPeer, eventually, startPair, startPeer, TEST_PASSPHRASE } from './fixtures/chat.ts'

/** Bound on each UI wait, in ms: an event crossing two daemons on a loaded 2-core machine. */
const UI_WAIT_MS = 30_000
/** Messages sent after the one searched for: more than the first page a chat opens with (50). */
const FILLER_MESSAGES = 70
const ARTIFACTS = join(import.meta.dirname, '../test-artifacts/desktop-conversation-live')
const GROUP = 'Trail crew'

interface Window {
  peer: ChatPeer
  server: DesktopServer
  context: BrowserContext
  page: Page
  errors: string[]
}

async function openWindow(browser: Browser, peer: ChatPeer): Promise<Window> {
  const server = await startDesktopServer({
    token: peer.daemon.token,
    rpcUrl: `ws://127.0.0.1:${peer.daemon.rpcPort}/`,
  })
  const context = await browser.newContext({ viewport: { width: 1000, height: 720 } })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  page.setDefaultTimeout(UI_WAIT_MS)
  await page.goto(server.launchUrl())
  await page.getByRole('heading', { name: 'Chats' }).waitFor()
  return { peer, server, context, page, errors }
}

async function openChat(w: Window, title: string): Promise<void> {
  await w.page.locator('.conv-title', { hasText: new RegExp(`^${title}$`) }).click()
  await w.page.locator('.chat-title', { hasText: new RegExp(`^${title}$`) }).waitFor()
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** The message whose own text (not a quote of it) is exactly `text`. */
function bubble(w: Window, text: string): Locator {
  return w.page
    .locator('article.msg')
    .filter({ has: w.page.locator('.text', { hasText: new RegExp(`^${escapeRegExp(text)}$`) }) })
}

function composer(w: Window): Locator {
  return w.page.getByRole('textbox', { name: /^Message / })
}

async function shot(w: Window, name: string): Promise<void> {
  await w.page.screenshot({ path: join(ARTIFACTS, `${name}.png`) })
}

describe('desktop live conversation: typing, presence, group actions and mentions, search', () => {
  let browser: Browser
  let alice: Window
  let bob: Window
  let cat: ChatPeer
  let groupConversation = ''
  let dm = ''

  before(async () => {
    // Chromium is a test requirement (.ci/run installs Debian's package): fail loudly, never skip
    if (findChromium() === null)
      throw new Error('Chromium not found: install the chromium package (.ci/run does)')
    await mkdir(ARTIFACTS, { recursive: true })
    await buildDesktop()
    const pair = await startPair()
    cat = await startPeer('Cat', { args: pair.alice.addrs.flatMap((a) => ['--bootstrap', a]) })
    await pair.alice.client.call('contacts.add', { card: (await cat.client.call('identity.get', {})).card })
    await cat.client.call('contacts.add', { card: (await pair.alice.client.call('identity.get', {})).card })
    const created = await pair.alice.client.call('groups.create', {
      name: GROUP,
      members: [pair.bob.userId, cat.userId],
    })
    groupConversation = created.conversationId
    for (const peer of [pair.bob, cat]) {
      await eventually('the invitation', async () =>
        (await peer.client.call('groups.list', {})).groups.some((g) => g.groupId === created.groupId)
          ? true
          : undefined,
      )
      await peer.client.call('groups.accept', { groupId: created.groupId })
    }
    await eventually('three members everywhere', async () => {
      const all = await Promise.all(
        [pair.alice, pair.bob, cat].map(async (p) => (await p.client.call('groups.list', {})).groups[0]),
      )
      return all.every((g) => g?.memberCount === 3 && g.stateHash === all[0]?.stateHash) ? true : undefined
    })
    // alice mutes the group: a mention must still show on it
    await pair.alice.client.call('conversations.update', { conversationId: groupConversation, mute: true })
    // a first direct message opens the connection presence travels on
    dm = `dm:${pair.bob.userId}`
    const hello = await pair.alice.client.call('messages.send', { conversationId: dm, text: 'hello bob' })
    await eventually('hello at bob', async () =>
      (
        await pair.bob.client.call('messages.list', { conversationId: `dm:${pair.alice.userId}` })
      ).messages.some((m) => m.id === hello.message.id)
        ? true
        : undefined,
    )
    browser = await launchBrowser()
    alice = await openWindow(browser, pair.alice)
    bob = await openWindow(browser, pair.bob)
    await openChat(alice, 'Bob')
    await openChat(bob, 'Alice')
  })

  after(async () => {
    for (const w of [alice, bob]) if (w) await w.context.close().catch(() => {})
    await browser?.close()
    await Promise.allSettled([alice?.server.close(), bob?.server.close()])
    await Promise.allSettled([alice?.peer.stop(), bob?.peer.stop(), cat?.stop()])
  })

  test('bob sees alice online (header and sidebar dot), then "typing…" while she types, and it ends when she clears the box', async () => {
    const subtitle = bob.page.locator('.chat-subtitle')
    await bob.page.locator('.chat-subtitle', { hasText: /^online · / }).waitFor()
    await bob.page.getByRole('button', { name: /^Alice, online/ }).waitFor()

    await composer(alice).pressSequentially('on my w')
    await bob.page.locator('.chat-subtitle', { hasText: 'typing…' }).waitFor()
    await shot(bob, '01-bob-sees-typing')
    await composer(alice).fill('')
    await bob.page.locator('.chat-subtitle', { hasText: /^online · / }).waitFor()
    assert.doesNotMatch(await subtitle.innerText(), /typing/)
  })

  test('in the group bob completes @Al to @Alice; alice’s muted group shows the @ mark, and her bubble highlights the mention of her', async () => {
    await openChat(bob, GROUP)
    const box = composer(bob)
    await box.pressSequentially('@Al')
    const option = bob.page.getByRole('option', { name: '@Alice' })
    await option.waitFor()
    await box.press('Enter')
    assert.equal(await box.inputValue(), '@Alice ')
    await box.pressSequentially('bring the map')
    await box.press('Enter')
    await bubble(bob, '@Alice bring the map').waitFor()

    const row = alice.page.getByRole('button', {
      name: new RegExp(`^${GROUP}, group, muted, .*mentions you`),
    })
    await row.waitFor()
    assert.equal(await row.locator('.badge-mention').innerText(), '@')
    assert.equal(await row.locator('.badge-quiet').count(), 1, 'the muted count is quiet')
    await shot(alice, '02-alice-mention-badge')
    await openChat(alice, GROUP)
    const mention = bubble(alice, '@Alice bring the map')
    await mention.waitFor()
    assert.match((await mention.getAttribute('class')) ?? '', /mentions-me/)
    assert.equal(await mention.locator('.mention-me').innerText(), '@Alice')
    await shot(alice, '03-alice-mention-highlight')
  })

  test('in the group bob’s header names who types: alice from her page, then cat from its daemon', async () => {
    const aliceTyping = bob.page.locator('.chat-subtitle', { hasText: 'Alice is typing…' })
    await composer(alice).pressSequentially('let me th')
    await aliceTyping.waitFor()
    await shot(bob, '03b-bob-sees-group-typing')
    await composer(alice).fill('')
    await aliceTyping.waitFor({ state: 'detached' })

    // cat and bob know each other only through the group
    const catTyping = bob.page.locator('.chat-subtitle', { hasText: 'Cat is typing…' })
    await eventually('a typing frame from cat leaves', async () =>
      (await cat.client.call('typing.set', { conversationId: groupConversation, typing: true })).sent
        ? true
        : undefined,
    )
    await catTyping.waitFor()
    await cat.client.call('typing.set', { conversationId: groupConversation, typing: false })
    await catTyping.waitFor({ state: 'detached' })
  })

  test('alice reacts and replies in the group from the hover actions; bob sees both live and cat’s daemon holds them', async () => {
    const target = bubble(alice, '@Alice bring the map')
    await target.hover()
    await target.getByRole('button', { name: 'React' }).click()
    await alice.page.getByRole('menuitemcheckbox', { name: 'React with 👍' }).click()
    await bubble(bob, '@Alice bring the map').locator('.reaction', { hasText: '👍' }).waitFor()

    await target.hover()
    await target.getByRole('button', { name: 'Reply', exact: true }).click()
    await composer(alice).fill('got it')
    await composer(alice).press('Enter')
    const reply = bubble(bob, 'got it')
    await reply.waitFor()
    assert.match(await reply.locator('.quote').innerText(), /Alice\s+@Alice bring the map|You\s+@Alice/)
    await shot(bob, '04-bob-sees-group-reaction-and-reply')

    await eventually('the reaction and the reply at cat', async () => {
      const { messages } = await cat.client.call('messages.list', { conversationId: groupConversation })
      const map = messages.find((m) => m.text === '@Alice bring the map')
      const answer = messages.find((m) => m.text === 'got it')
      return map?.reactions?.some((r) => r.emoji === '👍' && r.sender === alice.peer.userId) &&
        answer?.replyTo?.messageId === map.id
        ? true
        : undefined
    })
  })

  test('alice forwards a direct message to the group: the dialog lists it, and cat receives it marked forwarded', async () => {
    await openChat(alice, 'Bob')
    const hello = bubble(alice, 'hello bob')
    await hello.hover()
    await hello.getByRole('button', { name: 'More actions' }).click()
    await alice.page.getByRole('menuitem', { name: 'Forward…' }).click()
    const dialog = alice.page.getByRole('dialog', { name: 'Forward message' })
    await dialog.getByRole('checkbox', { name: new RegExp(GROUP) }).check()
    await dialog.getByRole('button', { name: 'Forward', exact: true }).click()
    await dialog.waitFor({ state: 'detached' })
    await eventually('the forward at cat', async () => {
      const { messages } = await cat.client.call('messages.list', { conversationId: groupConversation })
      return messages.some((m) => m.text === 'hello bob' && m.forwarded === true) ? true : undefined
    })
  })

  test('a search finds an old message from the sidebar and from the chat header; a click loads back to it and shows it', async () => {
    const needle = 'the old mill at noon'
    const bobClient = bob.peer.client
    const toAlice = `dm:${alice.peer.userId}`
    await bobClient.call('messages.send', { conversationId: toAlice, text: needle })
    for (let i = 0; i < FILLER_MESSAGES; i++)
      await bobClient.call('messages.send', { conversationId: toAlice, text: `filler ${i}` })
    await eventually('every message at alice', async () => {
      const { messages } = await alice.peer.client.call('messages.list', { conversationId: dm, limit: 200 })
      return messages.some((m) => m.text === `filler ${FILLER_MESSAGES - 1}`) ? true : undefined
    })
    await alice.peer.client.call('messages.markRead', { conversationId: dm })
    // a fresh page: the chat opens on its newest page, without the old message
    await alice.page.reload()
    await alice.page.getByRole('heading', { name: 'Chats' }).waitFor()
    await alice.page.getByRole('searchbox', { name: 'Search chats and messages' }).fill('old mil')
    const results = alice.page.getByRole('region', { name: 'Messages found' })
    const hit = results.getByRole('button', { name: /^Bob now the old mil/ })
    await hit.waitFor()
    assert.deepEqual(await hit.locator('mark').allInnerTexts(), ['old', 'mil'], 'the typed terms are marked')
    await shot(alice, '05-alice-search-results')
    await hit.click()
    await alice.page.locator('.chat-title', { hasText: /^Bob$/ }).waitFor()
    const shown = alice.page.locator('.row.highlight').filter({ has: bubble(alice, needle) })
    await shown.waitFor()
    const focused = await alice.page.evaluate(
      () => (document.activeElement as HTMLElement | null)?.dataset.messageId,
    )
    assert.equal(focused, await bubble(alice, needle).getAttribute('data-message-id'))
    await shot(alice, '06-alice-jumped-to-result')

    await alice.page.getByRole('button', { name: 'Search in Bob' }).click()
    await alice.page.getByRole('searchbox', { name: 'Search messages in Bob' }).fill('filler 7')
    const inChat = alice.page.locator('.chat-search').getByRole('button', { name: /filler 7/ })
    await inChat.first().waitFor()
    assert.ok((await inChat.count()) >= 1)
    await alice.page.getByRole('button', { name: 'Close the search' }).click()
    assert.deepEqual([...alice.errors, ...bob.errors], [], 'no page errors')
  })

  test('the chat list’s context menu mutes, archives (an Archived view) and unarchives; the header menu sets a disappearing timer bob sees', async () => {
    await alice.page.getByRole('searchbox', { name: 'Search chats and messages' }).fill('')
    const row = () =>
      alice.page.locator('.conv').filter({ has: alice.page.locator('.conv-title', { hasText: /^Bob$/ }) })
    await row().click({ button: 'right' })
    await alice.page
      .getByRole('menu', { name: 'Bob actions' })
      .getByRole('menuitem', { name: 'Mute' })
      .click()
    await eventually('the muted mark', async () =>
      /, muted/.test((await row().getAttribute('aria-label')) ?? '') ? true : undefined,
    )
    await row().click({ button: 'right' })
    await alice.page.getByRole('menuitem', { name: 'Archive' }).click()
    const toggle = alice.page.getByRole('button', { name: 'Archived (1)' })
    await toggle.waitFor()
    await row().waitFor({ state: 'detached' })
    await toggle.click()
    await row().click({ button: 'right' })
    await alice.page.getByRole('menuitem', { name: 'Unarchive' }).click()
    await alice.page.getByRole('button', { name: '← Back to chats' }).click()
    await row().waitFor()
    const flags = (await alice.peer.client.call('conversations.list', {})).conversations.find(
      (c) => c.id === dm,
    )
    assert.deepEqual([flags?.muted, flags?.archived], [true, false], 'the daemon keeps the flags')

    await openChat(alice, 'Bob')
    await alice.page.getByRole('button', { name: 'More about Bob' }).click()
    await alice.page.getByRole('menuitem', { name: /^Disappearing messages/ }).click()
    const dialog = alice.page.getByRole('dialog', { name: 'Disappearing messages' })
    await dialog.getByRole('radio', { name: '5 minutes' }).check()
    await dialog.getByRole('button', { name: 'Set' }).click()
    await dialog.waitFor({ state: 'detached' })
    await eventually('the timer at bob', async () => {
      const { messages } = await bob.peer.client.call('messages.list', {
        conversationId: `dm:${alice.peer.userId}`,
      })
      return messages.some((m) => /disappear/i.test(m.text)) ? true : undefined
    })
    await openChat(bob, 'Alice')
    await bob.page
      .locator('article.msg, .row', { hasText: /disappear/i })
      .first()
      .waitFor()
    await shot(bob, '07-bob-sees-timer-line')
  })

  test('the lock button locks the profile (the daemon answers LOCKED) and the passphrase opens it again', async () => {
    await alice.page.getByRole('button', { name: 'Lock Wren' }).click()
    await alice.page.getByRole('heading', { name: 'Unlock Wren' }).waitFor()
    await assert.rejects(alice.peer.client.call('conversations.list', {}), /LOCKED|locked/)
    await alice.page.getByLabel('Passphrase').fill(TEST_PASSPHRASE)
    await alice.page.getByRole('button', { name: 'Unlock' }).click()
    await alice.page.getByRole('heading', { name: 'Chats' }).waitFor()
    await alice.page.locator('.conv-title', { hasText: /^Bob$/ }).waitFor()
    assert.deepEqual([...alice.errors, ...bob.errors], [], 'no page errors')
  })
})
