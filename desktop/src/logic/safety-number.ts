/**
 * Safety number display: 60 digits in 12 groups of 5, laid out 4 per row (as Signal shows
 * them), and a tolerant comparison for numbers pasted with spaces or line breaks.
 */

export const SAFETY_NUMBER_DIGITS = 60
/** Digits per group: Signal's layout, easy to read aloud. */
export const SAFETY_GROUP_DIGITS = 5
/** Groups per row in the grid. */
export const SAFETY_GROUPS_PER_ROW = 4
/** A pasted safety number, in characters (the daemon's MAX_SAFETY_NUMBER_CHARS): digits and spacing. */
export const MAX_SAFETY_NUMBER_CHARS = 120

/** The 12 groups of 5 digits; [] when the input is not 60 digits. */
export function safetyNumberGroups(safetyNumber: string): string[] {
  if (!/^[0-9]{60}$/.test(safetyNumber)) return []
  const groups: string[] = []
  for (let i = 0; i < SAFETY_NUMBER_DIGITS; i += SAFETY_GROUP_DIGITS)
    groups.push(safetyNumber.slice(i, i + SAFETY_GROUP_DIGITS))
  return groups
}

/** Rows of groups for the grid layout. */
export function safetyNumberRows(safetyNumber: string): string[][] {
  const groups = safetyNumberGroups(safetyNumber)
  const rows: string[][] = []
  for (let i = 0; i < groups.length; i += SAFETY_GROUPS_PER_ROW)
    rows.push(groups.slice(i, i + SAFETY_GROUPS_PER_ROW))
  return rows
}

/** Digits of a number typed or pasted by the user (whitespace and separators dropped). */
export function normaliseSafetyNumber(input: string): string {
  return input.replace(/[\s\-.]/g, '')
}

/** Whether user input is the same safety number (ignoring spacing); false unless 60 digits. */
export function safetyNumbersMatch(input: string, expected: string): boolean {
  const a = normaliseSafetyNumber(input)
  return /^[0-9]{60}$/.test(a) && a === expected
}

/** Text copied to the clipboard: groups separated by spaces, rows by newlines. */
export function safetyNumberText(safetyNumber: string): string {
  return safetyNumberRows(safetyNumber)
    .map((row) => row.join(' '))
    .join('\n')
}
