/**
 * Conversation management in the page, as pure functions: the chat list with or without the
 * archived chats, the items of a conversation's menu (mute, archive, mark unread, disappearing
 * messages, delete), and the disappearing-messages choices. The daemon keeps the flags
 * (conversations.update, conversations.delete, conversations.setTimer).
 */
import type { Conversation } from '../../../node/src/rpc/api.ts'

const MIN_S = 60
const HOUR_S = 60 * MIN_S
const DAY_S = 24 * HOUR_S

/** Timers offered (seconds; 0 = off), within the daemon's 5 s to 4 weeks. */
export const TIMER_CHOICES: readonly { readonly seconds: number; readonly label: string }[] = [
  { seconds: 0, label: 'Off' },
  { seconds: 5 * MIN_S, label: '5 minutes' },
  { seconds: HOUR_S, label: '1 hour' },
  { seconds: 8 * HOUR_S, label: '8 hours' },
  { seconds: DAY_S, label: '1 day' },
  { seconds: 7 * DAY_S, label: '1 week' },
  { seconds: 28 * DAY_S, label: '4 weeks' },
]

/** "Off", "1 hour", or the seconds in the largest whole unit ("90 seconds", "3 days"). */
export function timerLabel(seconds: number): string {
  const known = TIMER_CHOICES.find((c) => c.seconds === seconds)
  if (known) return known.label
  for (const [unit, s] of [
    ['day', DAY_S],
    ['hour', HOUR_S],
    ['minute', MIN_S],
  ] as const)
    if (seconds % s === 0) return `${seconds / s} ${unit}${seconds / s === 1 ? '' : 's'}`
  return `${seconds} seconds`
}

/** The chats shown: the archived ones only in the Archived view, the others otherwise. */
export function listedConversations(list: readonly Conversation[], archived: boolean): Conversation[] {
  return list.filter((c) => (c.archived === true) === archived)
}

export function archivedCount(list: readonly Conversation[]): number {
  return list.filter((c) => c.archived === true).length
}

export type ConversationAction = 'mute' | 'unmute' | 'archive' | 'unarchive' | 'unread' | 'timer' | 'delete'

export interface ConversationMenuItem {
  readonly action: ConversationAction
  readonly label: string
  readonly danger?: boolean
}

/**
 * What a conversation's menu offers: mute or unmute, archive or unarchive, mark unread (when
 * nothing is unread yet), the disappearing-messages timer (in a group only its owner and admins
 * may set it: the daemon refuses the others, and the dialog shows why), and delete.
 */
export function conversationMenu(c: Conversation, timer: number | undefined): ConversationMenuItem[] {
  const items: ConversationMenuItem[] = [
    c.muted ? { action: 'unmute', label: 'Unmute' } : { action: 'mute', label: 'Mute' },
    c.archived ? { action: 'unarchive', label: 'Unarchive' } : { action: 'archive', label: 'Archive' },
  ]
  if (c.unread === 0 && c.markedUnread !== true) items.push({ action: 'unread', label: 'Mark as unread' })
  items.push({
    action: 'timer',
    label: `Disappearing messages${timer === undefined ? '' : `: ${timerLabel(timer)}`}…`,
  })
  items.push({ action: 'delete', label: 'Delete chat…', danger: true })
  return items
}

/** Auto-lock choices of the settings (minutes; null = off), within the daemon's 1 min to 1 week. */
export const AUTO_LOCK_CHOICES: readonly { readonly minutes: number | null; readonly label: string }[] = [
  { minutes: null, label: 'Never' },
  { minutes: 1, label: 'After 1 minute' },
  { minutes: 5, label: 'After 5 minutes' },
  { minutes: 15, label: 'After 15 minutes' },
  { minutes: 60, label: 'After 1 hour' },
  { minutes: 8 * 60, label: 'After 8 hours' },
  { minutes: 24 * 60, label: 'After 1 day' },
]
