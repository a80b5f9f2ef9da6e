/**
 * wren group …: create, invite, accept/decline, leave, remove, rename, role, members, list, send,
 * history. `<group>` is a group id (32 hex, optionally 'grp:'-prefixed) or a unique
 * case-insensitive group name from groups.list; `<contact>` is a user id or a unique display name.
 * Every group argument is resolved against groups.list, so an unknown group is exit 5 everywhere.
 */
import { Argument, type Command, Option } from 'commander'
import {
  DEFAULT_PAGE_LIMIT,
  type GroupMember,
  type GroupSummary,
  MAX_CREATE_INVITES,
  MAX_GROUP_NAME_CHARS,
  MAX_PAGE_LIMIT,
  MAX_TEXT_CHARS,
  type Result,
} from '../../rpc/api.ts'
import type { WrenClient } from '../../rpc/client.ts'
import { WREN_COMMAND } from '../command-name.ts'
import { type GlobalOptions, withClient } from '../context.ts'
import { CliError, ContactNotFoundError, UsageError } from '../errors.ts'
import { EXIT } from '../exit-codes.ts'
import { formatMessage, formatTime, printJson, printLine, safeText } from '../format.ts'
import { pickContact } from '../resolve-contact.ts'
import { parseLimit } from './messages.ts'

type Globals = (command: Command) => GlobalOptions

const GROUP_ID_PATTERN = /^(?:grp:)?([0-9a-f]{32})$/i
const USER_ID_PATTERN = /^wu[a-z2-7]{26}$/i
const ROLES = ['admin', 'member'] as const
type AssignableRole = (typeof ROLES)[number]

/** No group matches `<group>`, or the name matches several (exit 5, like an unknown contact). */
export class GroupNotFoundError extends CliError {
  constructor(message: string, hint?: string) {
    super(EXIT.NOT_FOUND, message, hint)
    this.name = 'GroupNotFoundError'
  }
}

/** The group a `<group>` argument names: id first, then a unique case-insensitive name. */
export function pickGroup(groups: readonly GroupSummary[], query: string): GroupSummary {
  const wanted = query.trim()
  const idMatch = GROUP_ID_PATTERN.exec(wanted)
  if (idMatch) {
    const id = idMatch[1]!.toLowerCase()
    const found = groups.find((g) => g.groupId === id)
    if (found) return found
  }
  const name = wanted.toLowerCase()
  const matches = groups.filter((g) => g.name.toLowerCase() === name)
  if (matches.length === 1) return matches[0]!
  if (matches.length === 0)
    throw new GroupNotFoundError(
      idMatch ? `no group with id ${idMatch[1]!.toLowerCase()}` : `no group named "${safeText(wanted)}"`,
      `list them with: ${WREN_COMMAND} group list (or use the group id)`,
    )
  throw new GroupNotFoundError(
    `"${safeText(wanted)}" matches ${matches.length} groups: ${matches.map((g) => g.groupId).join(', ')}`,
    'use the group id instead',
  )
}

export async function resolveGroup(client: WrenClient, query: string): Promise<GroupSummary> {
  const { groups } = await client.call('groups.list', {})
  return pickGroup(groups, query)
}

/**
 * A `<contact>` that may be a group member we never added (remove, role): a user id is taken as
 * is; a name is looked up among contacts and the group's members and invitations.
 */
async function resolveMember(client: WrenClient, group: GroupSummary, query: string): Promise<string> {
  const wanted = query.trim()
  if (USER_ID_PATTERN.test(wanted)) return wanted.toLowerCase()
  const [{ contacts }, roster] = await Promise.all([
    client.call('contacts.list', {}),
    client.call('groups.members', { groupId: group.groupId }),
  ])
  const name = wanted.toLowerCase()
  const ids = new Set<string>()
  for (const p of [...roster.members, ...contacts])
    if (p.displayName.toLowerCase() === name) ids.add(p.userId)
  const matches = [...ids]
  if (matches.length === 1) return matches[0]!
  if (matches.length === 0)
    throw new ContactNotFoundError(
      `no contact or member named "${safeText(wanted)}"`,
      `list them with: ${WREN_COMMAND} group members ${group.groupId} (or use the user id)`,
    )
  throw new ContactNotFoundError(
    `"${safeText(wanted)}" matches ${matches.length} people: ${matches.join(', ')}`,
    'use the user id instead',
  )
}

function groupLabel(group: Pick<GroupSummary, 'name' | 'groupId'>): string {
  return group.name ? safeText(group.name) : group.groupId
}

export function formatGroup(group: GroupSummary): string {
  const standing = group.status === 'member' ? (group.role ?? 'member') : group.status
  const members = `${group.memberCount} member${group.memberCount === 1 ? '' : 's'}`
  return `${groupLabel(group)}  ${group.groupId}  (${standing}, ${members})`
}

function formatMember(member: GroupMember): string {
  return `  ${safeText(member.displayName)}  ${member.userId}  ${member.role}  (joined ${formatTime(member.joinedAt)})`
}

function checkGroupName(name: string): string {
  if (name.trim() === '') throw new UsageError('the group name is empty')
  if (name.length > MAX_GROUP_NAME_CHARS)
    throw new UsageError(`the group name is longer than ${MAX_GROUP_NAME_CHARS} characters`)
  return name
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}

/** Print a summary returned by a group change: JSON, or one line saying what happened. */
function report(g: GlobalOptions, group: GroupSummary, what: string): void {
  if (g.json) printJson(group)
  else printLine(`${what}: ${formatGroup(group)}`)
}

export function registerGroupCommands(program: Command, globals: Globals): void {
  const group = program
    .command('group')
    .description('group chats: create, invite, accept, send, history, members, …')

  group
    .command('create')
    .description('create a group (you are its owner), inviting contacts with --member')
    .argument('<name>', `the group name (at most ${MAX_GROUP_NAME_CHARS} characters)`)
    .addOption(
      new Option('--member <contact>', 'invite this contact (repeatable; user id or display name)')
        .argParser(collect)
        .default([]),
    )
    .action(async (nameArg: string, opts: { member: string[] }, command: Command) => {
      const g = globals(command)
      const name = checkGroupName(nameArg)
      if (opts.member.length > MAX_CREATE_INVITES)
        throw new UsageError(
          `at most ${MAX_CREATE_INVITES} --member at creation`,
          `invite more with: ${WREN_COMMAND} group invite`,
        )
      const created = await withClient(g, async (client) => {
        const { contacts } = await client.call('contacts.list', {})
        const members = [...new Set(opts.member.map((q) => pickContact(contacts, q).userId))]
        return client.call('groups.create', members.length > 0 ? { name, members } : { name })
      })
      report(g, created, 'Created')
    })

  group
    .command('invite')
    .description('invite a contact to a group (admins and the owner; only the owner offers admin)')
    .argument('<group>', 'group id or name')
    .argument('<contact>', 'user id or display name of a contact')
    .option('--admin', 'invite as admin (owner only)')
    .action(async (groupQuery: string, contactQuery: string, opts: { admin?: boolean }, command: Command) => {
      const g = globals(command)
      const updated = await withClient(g, async (client) => {
        const target = await resolveGroup(client, groupQuery)
        const { contacts } = await client.call('contacts.list', {})
        const { userId } = pickContact(contacts, contactQuery)
        return client.call('groups.invite', {
          groupId: target.groupId,
          userId,
          ...(opts.admin ? { role: 'admin' as const } : {}),
        })
      })
      report(g, updated, 'Invited')
    })

  const simple: Array<[string, string, 'groups.accept' | 'groups.decline' | 'groups.leave', string]> = [
    ['accept', 'accept an invitation: you become a member', 'groups.accept', 'Joined'],
    ['decline', 'decline an invitation; the group is forgotten here', 'groups.decline', 'Declined'],
    ['leave', 'leave a group (history stays readable here)', 'groups.leave', 'Left'],
  ]
  for (const [name, description, method, what] of simple) {
    group
      .command(name)
      .description(description)
      .argument('<group>', 'group id or name')
      .action(async (groupQuery: string, _opts: unknown, command: Command) => {
        const g = globals(command)
        const updated = await withClient(g, async (client) => {
          const target = await resolveGroup(client, groupQuery)
          return client.call(method, { groupId: target.groupId })
        })
        report(g, updated, what)
      })
  }

  group
    .command('remove')
    .description('remove a member of lower role, or revoke an invitation (admins and the owner)')
    .argument('<group>', 'group id or name')
    .argument('<contact>', 'user id, or display name of a contact or member')
    .action(async (groupQuery: string, contactQuery: string, _opts: unknown, command: Command) => {
      const g = globals(command)
      const updated = await withClient(g, async (client) => {
        const target = await resolveGroup(client, groupQuery)
        const userId = await resolveMember(client, target, contactQuery)
        return client.call('groups.remove', { groupId: target.groupId, userId })
      })
      report(g, updated, 'Removed')
    })

  group
    .command('rename')
    .description('rename a group (admins and the owner)')
    .argument('<group>', 'group id or current name')
    .argument('<name>', 'the new name')
    .action(async (groupQuery: string, nameArg: string, _opts: unknown, command: Command) => {
      const g = globals(command)
      const name = checkGroupName(nameArg)
      const updated = await withClient(g, async (client) => {
        const target = await resolveGroup(client, groupQuery)
        return client.call('groups.rename', { groupId: target.groupId, name })
      })
      report(g, updated, 'Renamed')
    })

  group
    .command('role')
    .description('make a member admin or member (owner only)')
    .argument('<group>', 'group id or name')
    .argument('<contact>', 'user id, or display name of a contact or member')
    .addArgument(new Argument('<role>', 'the new role').choices(ROLES))
    .action(
      async (
        groupQuery: string,
        contactQuery: string,
        role: AssignableRole,
        _opts: unknown,
        command: Command,
      ) => {
        const g = globals(command)
        const updated = await withClient(g, async (client) => {
          const target = await resolveGroup(client, groupQuery)
          const userId = await resolveMember(client, target, contactQuery)
          return client.call('groups.setRole', { groupId: target.groupId, userId, role })
        })
        report(g, updated, `Made ${role}`)
      },
    )

  group
    .command('members')
    .description('members, roles and pending invitations of a group')
    .argument('<group>', 'group id or name')
    .action(async (groupQuery: string, _opts: unknown, command: Command) => {
      const g = globals(command)
      const roster = await withClient(g, async (client) => {
        const target = await resolveGroup(client, groupQuery)
        return client.call('groups.members', { groupId: target.groupId })
      })
      if (g.json) return printJson(roster)
      printLine(formatGroup(roster.group))
      for (const member of roster.members) printLine(formatMember(member))
      const names = new Map(roster.members.map((m) => [m.userId, safeText(m.displayName)]))
      for (const inv of roster.invitations)
        printLine(`  (invited) ${inv.userId}  ${inv.role}  by ${names.get(inv.invitedBy) ?? inv.invitedBy}`)
    })

  group
    .command('list')
    .description('groups you are in, invited to, or left')
    .action(async (_opts: unknown, command: Command) => {
      const g = globals(command)
      const { groups } = await withClient(g, (client) => client.call('groups.list', {}))
      if (g.json) return printJson({ groups })
      if (groups.length === 0)
        return printLine(`No groups yet. Create one with: ${WREN_COMMAND} group create <name>`)
      for (const summary of groups) printLine(formatGroup(summary))
      if (groups.some((s) => s.status === 'invited'))
        printLine(`Accept an invitation with: ${WREN_COMMAND} group accept <group>`)
    })

  group
    .command('send')
    .description('send a message to a group (end-to-end encrypted); returns once queued')
    .argument('<group>', 'group id or name')
    .argument('<text...>', 'the message (words are joined with spaces)')
    .action(async (groupQuery: string, words: string[], _opts: unknown, command: Command) => {
      const g = globals(command)
      const text = words.join(' ')
      if (text.trim() === '') throw new UsageError('the message is empty')
      if (text.length > MAX_TEXT_CHARS)
        throw new UsageError(`the message is longer than ${MAX_TEXT_CHARS} characters`)
      const { target, message } = await withClient(g, async (client) => {
        const target = await resolveGroup(client, groupQuery)
        const { message } = await client.call('messages.send', {
          conversationId: target.conversationId,
          text,
        })
        return { target, message }
      })
      if (g.json) return printJson(message)
      printLine(`Sent to ${groupLabel(target)} (${message.status}).`)
    })

  group
    .command('history')
    .description('show the messages of a group, oldest first')
    .argument('<group>', 'group id or name')
    .option(
      '--limit <n>',
      `how many of the newest messages (1..${MAX_PAGE_LIMIT})`,
      parseLimit,
      DEFAULT_PAGE_LIMIT,
    )
    .action(async (groupQuery: string, opts: { limit: number }, command: Command) => {
      const g = globals(command)
      const { target, page, names } = await withClient(g, async (client) => {
        const target = await resolveGroup(client, groupQuery)
        const page: Result<'messages.list'> = await client.call('messages.list', {
          conversationId: target.conversationId,
          limit: opts.limit,
        })
        if (g.json) return { target, page, names: new Map<string, string>() }
        const [{ contacts }, roster] = await Promise.all([
          client.call('contacts.list', {}),
          client.call('groups.members', { groupId: target.groupId }),
        ])
        const names = new Map<string, string>()
        for (const m of roster.members) names.set(m.userId, safeText(m.displayName))
        for (const c of contacts) if (c.displayName) names.set(c.userId, safeText(c.displayName))
        return { target, page, names }
      })
      if (g.json) return printJson(page)
      if (page.messages.length === 0) return printLine(`No messages in ${groupLabel(target)} yet.`)
      if (page.hasMore) printLine('(older messages not shown; use --limit)')
      for (const message of page.messages)
        printLine(formatMessage(message, names.get(message.sender) ?? message.sender))
    })
}
