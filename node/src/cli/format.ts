/**
 * Output of the CLI. Human text by default, one JSON value with --json. Anything that came from
 * another user (names, message text) passes through safeText so it cannot drive the terminal.
 */
import type { Contact, Message, Waiting } from '../rpc/api.ts'

/** Digits per group when showing a safety number (Signal shows 12 groups of 5). */
export const SAFETY_NUMBER_GROUP_DIGITS = 5
/** Groups per line when showing a safety number. */
export const SAFETY_NUMBER_GROUPS_PER_LINE = 4

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

export function printLine(text = ''): void {
  process.stdout.write(`${text}\n`)
}

/**
 * Replace control characters (C0 except tab/newline, DEL, C1) and bidi overrides with a visible
 * placeholder, so text from peers cannot move the cursor, recolour or reorder the terminal.
 */
export function safeText(text: string, options: { multiline?: boolean } = {}): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  const pattern = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g
  const cleaned = text.replace(pattern, '\ufffd')
  return options.multiline ? cleaned.replace(/\t/g, '  ') : cleaned.replace(/[\t\n]/g, ' ')
}

/** Local time as YYYY-MM-DD HH:MM. */
export function formatTime(ms: number): string {
  const d = new Date(ms)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`
}

export function formatSafetyNumber(digits: string): string {
  const groups = digits.match(new RegExp(`.{1,${SAFETY_NUMBER_GROUP_DIGITS}}`, 'g')) ?? []
  const lines: string[] = []
  for (let i = 0; i < groups.length; i += SAFETY_NUMBER_GROUPS_PER_LINE)
    lines.push(groups.slice(i, i + SAFETY_NUMBER_GROUPS_PER_LINE).join(' '))
  return lines.join('\n')
}

export function contactLabel(contact: Pick<Contact, 'displayName' | 'userId'>): string {
  return contact.displayName ? safeText(contact.displayName) : contact.userId
}

/** One history line: `[time] name: text`, with the delivery status of our own messages and why it waits. */
export function formatMessage(message: Message, peerName: string, now: number = Date.now()): string {
  const who = message.direction === 'out' ? 'me' : peerName
  const waiting = message.waiting === undefined ? '' : ` — ${describeWaiting(message.waiting, peerName, now)}`
  const status = message.direction === 'out' ? ` (${message.status}${waiting})` : ''
  const indent = ' '.repeat(`[${formatTime(message.sentAt)}] ${who}: `.length)
  const text = safeText(message.text, { multiline: true }).replace(/\n/g, `\n${indent}`)
  const file =
    message.attachment === undefined
      ? ''
      : `[file ${safeText(message.attachment.name)}, ${message.attachment.size} bytes, message ${message.id}] `
  if (message.deletedAt !== undefined) return `[${formatTime(message.sentAt)}] ${who}: [deleted]${status}`
  const quote = message.replyTo === undefined ? '' : `[↪ ${safeText(message.replyTo.text) || '…'}] `
  const forwarded = message.forwarded ? '[forwarded] ' : ''
  const edited = message.editedAt === undefined ? '' : ' (edited)'
  const reactions =
    message.reactions === undefined ? '' : ` [${message.reactions.map((r) => safeText(r.emoji)).join(' ')}]`
  const pinned = message.pinned === undefined ? '' : ' [pinned]'
  return `[${formatTime(message.sentAt)}] ${who}: ${forwarded}${quote}${file}${text}${edited}${reactions}${pinned}${status}`
}

/** Why a message waits, in words: "no route to Bob yet, next try in 12 s". */
export function describeWaiting(waiting: Waiting, peerName: string, now: number): string {
  const words: Record<Waiting['reason'], string> = {
    sending: `sending to ${peerName}`,
    'no-bundle': `no keys for ${peerName} found yet`,
    'no-route': `no route to ${peerName} yet`,
    'peer-offline': `${peerName} is offline`,
    'peer-unavailable': `${peerName}'s device could not take it`,
    'key-changed': `held until you accept ${peerName}'s new key`,
    stored: `in ${peerName}'s relay mailboxes until ${peerName} fetches it`,
  }
  const next =
    waiting.nextAttemptAt === undefined
      ? ''
      : `, next try in ${Math.max(0, Math.ceil((waiting.nextAttemptAt - now) / 1000))} s`
  return `${words[waiting.reason]}${next}`
}

export function formatContact(contact: Contact): string {
  const flags = [contact.verified ? 'verified' : 'unverified', contact.keyChanged ? 'KEY CHANGED' : '']
    .filter(Boolean)
    .join(', ')
  return `${contactLabel(contact)}  ${contact.userId}  (${flags})`
}
