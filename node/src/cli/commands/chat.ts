/**
 * wren chat <contact|group>: an interactive conversation with a contact or in a group (a contact
 * of that name first, then a group by id or name). Shows the latest messages, then every line
 * typed is sent and every incoming message of this conversation is printed as it arrives
 * (message.received events), with its sender's name in a group, and so are edits and deletes
 * (message.updated) and who starts typing (typing: the contact, or a member by name). While we
 * type at a terminal, the contact or the group is told so (typing.set; the daemon sends at most
 * one frame per few seconds). /quit or end of input leaves; sends still in flight finish first.
 */
import { createInterface, type Interface } from 'node:readline'
import type { Command } from 'commander'
import { directConversationId, type Message } from '../../rpc/api.ts'
import type { WrenClient } from '../../rpc/client.ts'
import { RpcConnectionError } from '../../rpc/errors.ts'
import { connect, type GlobalOptions } from '../context.ts'
import { CliError, ContactNotFoundError } from '../errors.ts'
import { EXIT } from '../exit-codes.ts'
import { contactLabel, formatMessage, formatTime, printJson, printLine, safeText } from '../format.ts'
import { resolveContact } from '../resolve-contact.ts'
import { resolveGroup } from './group.ts'

type Globals = (command: Command) => GlobalOptions

/** Messages of history shown when the chat opens. */
export const CHAT_BACKLOG_MESSAGES = 20
/** How often the chat checks that the daemon connection is still open, in ms (the client has no close event). */
const CONNECTION_CHECK_MS = 500
const QUIT_COMMANDS = new Set(['/quit', '/exit', '/q'])
/** Keystrokes tell the daemon we type at most this often (it throttles again on its side). */
const TYPING_NOTICE_MS = 2_000

export function registerChatCommand(program: Command, globals: Globals): void {
  program
    .command('chat')
    .description(
      'chat with a contact or in a group: type lines to send them, incoming messages and who types appear live; /quit to leave',
    )
    .argument('<chat>', 'a contact (user id or display name), or else a group (group id or name)')
    .action(async (query: string, _opts: unknown, command: Command) => {
      const g = globals(command)
      const client = await connect(g)
      try {
        await runChat(client, await resolveChat(client, query), g.json)
      } finally {
        await client.close()
      }
    })
}

/** The conversation `wren chat` opens, and how it names the people in it. */
interface ChatTarget {
  readonly conversationId: string
  /** "Bob (wu…)" or "the group Typists (ab12…)". */
  readonly title: string
  /** A sender's name (a group member's, or the contact's). */
  name(userId: string): string
  /** Learn names again (a group member who joined after the chat opened). */
  refresh(): Promise<void>
}

/** A contact named `query`, or else a group: the contact's error when neither matches. */
async function resolveChat(client: WrenClient, query: string): Promise<ChatTarget> {
  try {
    const contact = await resolveContact(client, query)
    const label = contactLabel(contact)
    return {
      conversationId: directConversationId(contact.userId),
      title: `${label} (${contact.userId})`,
      name: () => label,
      refresh: async () => {},
    }
  } catch (error) {
    if (!(error instanceof ContactNotFoundError)) throw error
    const group = await resolveGroup(client, query).catch(() => {
      throw error
    })
    const names = new Map<string, string>()
    const refresh = async () => {
      const [{ contacts }, roster] = await Promise.all([
        client.call('contacts.list', {}),
        client.call('groups.members', { groupId: group.groupId }),
      ])
      for (const m of roster.members) names.set(m.userId, safeText(m.displayName))
      for (const c of contacts) if (c.displayName) names.set(c.userId, safeText(c.displayName))
    }
    await refresh()
    return {
      conversationId: group.conversationId,
      title: `the group ${safeText(group.name)} (${group.groupId})`,
      name: (userId) => names.get(userId) ?? userId.slice(0, 10),
      refresh,
    }
  }
}

async function runChat(client: WrenClient, target: ChatTarget, json: boolean): Promise<void> {
  const { conversationId } = target
  const nameOf = (userId: string) => target.name(userId)
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY)
  const rl: Interface = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: interactive,
    prompt: '> ',
  })

  /** Print above the prompt line without mangling what is being typed. */
  const show = (text: string) => {
    if (!interactive) return printLine(text)
    process.stdout.write(`\r\u001b[2K${text}\n`)
    rl.prompt(true)
  }
  const showMessage = (message: Message) =>
    json ? printJson(message) : show(formatMessage(message, nameOf(message.sender)))
  const markRead = (upToSeq: number) => {
    // Read receipts are a courtesy: a failure here must not end the chat.
    client.call('messages.markRead', { conversationId, upToSeq }).catch(() => {})
  }

  const unsubscribe = await client.on('message', (message) => {
    if (message.conversationId !== conversationId) return
    showMessage(message)
    markRead(message.seq)
  })
  const offUpdated = await client.on('message.updated', ({ conversationId: id, change, message }) => {
    if (id !== conversationId || (change !== 'edit' && change !== 'delete')) return
    if (json) return printJson(message)
    show(
      change === 'edit'
        ? `(edited) ${formatMessage(message, nameOf(message.sender))}`
        : `(deleted) a message of ${formatTime(message.sentAt)}`,
    )
  })
  const offTyping = await client.on('typing', ({ conversationId: id, userId, typing }) => {
    if (id !== conversationId || json || !typing) return
    if (target.name(userId) !== userId.slice(0, 10)) return show(`${nameOf(userId)} is typing…`)
    // a member the chat does not know by name yet: learn the roster again first
    void target.refresh().then(
      () => show(`${nameOf(userId)} is typing…`),
      () => show(`${nameOf(userId)} is typing…`),
    )
  })
  // tell the contact we type (terminals only: keypress events come from readline)
  let typingNoticeAt = 0
  const onKeypress = () => {
    const now = Date.now()
    if (now - typingNoticeAt < TYPING_NOTICE_MS) return
    typingNoticeAt = now
    client.call('typing.set', { conversationId, typing: true }).catch(() => {})
  }
  if (interactive) process.stdin.on('keypress', onKeypress)
  const backlog = await client.call('messages.list', { conversationId, limit: CHAT_BACKLOG_MESSAGES })
  if (!json) show(`Chat with ${target.title}. Type a message and press Enter; /quit to leave.`)
  for (const message of backlog.messages) showMessage(message)
  const last = backlog.messages.at(-1)
  if (last) markRead(last.seq)

  let failure: unknown = null
  let sending: Promise<void> = Promise.resolve()
  const closed = new Promise<void>((resolve) => rl.once('close', resolve))
  rl.on('line', (line) => {
    const text = line.trimEnd()
    if (QUIT_COMMANDS.has(text.trim())) return rl.close()
    if (text.trim() === '') return rl.prompt()
    // Sends go out one after another, in the order typed.
    sending = sending.then(async () => {
      try {
        if (interactive) {
          typingNoticeAt = 0
          await client.call('typing.set', { conversationId, typing: false }).catch(() => {})
        }
        const { message } = await client.call('messages.send', { conversationId, text })
        if (json) printJson(message)
        else if (!interactive) show(formatMessage(message, nameOf(message.sender)))
      } catch (error) {
        if (error instanceof RpcConnectionError) {
          failure = error
          rl.close()
        } else process.stderr.write(`wren: not sent: ${safeText((error as Error).message)}\n`)
      }
      if (interactive) rl.prompt()
    })
  })
  const lost = setInterval(() => {
    if (client.closed) {
      failure ??= new CliError(EXIT.DAEMON_UNREACHABLE, 'the connection to the daemon closed')
      rl.close()
    }
  }, CONNECTION_CHECK_MS)
  if (interactive) rl.prompt()
  await closed
  clearInterval(lost)
  await sending
  if (interactive) process.stdin.off('keypress', onKeypress)
  unsubscribe()
  offUpdated()
  offTyping()
  if (failure) throw failure
}
