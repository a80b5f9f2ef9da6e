/**
 * Times as a messenger shows them. `now` and the locale are passed in so tests are stable.
 */

const MINUTE_MS = 60_000
const DAY_MS = 86_400_000
/** Within this many days the weekday name is clearer than a date. */
const WEEKDAY_WINDOW_DAYS = 6

/** Intl formatters are costly to create (≈0.1 ms each); the chat formats every visible row. */
const formatters = new Map<string, Intl.DateTimeFormat>()
function format(t: number, locale: string | undefined, options: Intl.DateTimeFormatOptions): string {
  const key = `${locale ?? ''}|${JSON.stringify(options)}`
  let f = formatters.get(key)
  if (f === undefined) {
    f = new Intl.DateTimeFormat(locale, options)
    formatters.set(key, f)
  }
  return f.format(t)
}

function startOfDay(t: number): number {
  const d = new Date(t)
  d.setHours(0, 0, 0, 0)
  return d.getTime()
}

/** A number identifying the local calendar day of an instant (equal for the same day). */
export function dayNumber(t: number): number {
  const d = new Date(t)
  return d.getFullYear() * 400 + d.getMonth() * 32 + d.getDate()
}

/** Whole calendar days between two instants in local time (DST-safe). */
export function calendarDaysBetween(earlier: number, later: number): number {
  return Math.round((startOfDay(later) - startOfDay(earlier)) / DAY_MS)
}

/** Conversation list: "now", "5 min", "14:03", "Yesterday", "Mon", "12 Mar", "12 Mar 2023". */
export function listTime(t: number, now: number, locale?: string): string {
  const diff = now - t
  // A little in the future (our own clock tick lags a message just sent) also reads as "now".
  if (diff > -60 * MINUTE_MS && diff < MINUTE_MS) return 'now'
  if (diff >= 0 && diff < 60 * MINUTE_MS) return `${Math.floor(diff / MINUTE_MS)} min`
  const days = calendarDaysBetween(t, now)
  if (days <= 0) return clockTime(t, locale)
  if (days === 1) return 'Yesterday'
  if (days <= WEEKDAY_WINDOW_DAYS) return format(t, locale, { weekday: 'short' })
  const sameYear = new Date(t).getFullYear() === new Date(now).getFullYear()
  return format(
    t,
    locale,
    sameYear ? { day: 'numeric', month: 'short' } : { day: 'numeric', month: 'short', year: 'numeric' },
  )
}

/** Bubble timestamp: "14:03". */
export function clockTime(t: number, locale?: string): string {
  return format(t, locale, { hour: '2-digit', minute: '2-digit' })
}

/** Day separator in the chat: "Today", "Yesterday", "Monday, 12 March 2024". */
export function dayLabel(t: number, now: number, locale?: string): string {
  const days = calendarDaysBetween(t, now)
  if (days === 0) return 'Today'
  if (days === 1) return 'Yesterday'
  return format(t, locale, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' })
}

/** Full date and time for a tooltip. */
export function fullTime(t: number, locale?: string): string {
  return format(t, locale, { dateStyle: 'full', timeStyle: 'short' })
}
