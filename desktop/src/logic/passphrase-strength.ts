/**
 * A passphrase strength estimate for the meter on the create-identity screen. Not zxcvbn (too
 * big for the bundle): it estimates entropy from the character classes used, then penalises
 * the patterns that make passphrases guessable — repeats, sequences, very common choices — and
 * rewards multi-word passphrases. The daemon enforces the hard minimum (MIN_PASSPHRASE_CHARS).
 */

export const MIN_PASSPHRASE_CHARS = 8
/** Bits of estimated entropy for each score step 1..4 (below the first is score 0). */
export const STRENGTH_THRESHOLDS_BITS = [28, 40, 60, 80] as const

export type StrengthScore = 0 | 1 | 2 | 3 | 4

export interface Strength {
  readonly score: StrengthScore
  readonly bits: number
  readonly label: 'Too short' | 'Very weak' | 'Weak' | 'Fair' | 'Strong' | 'Very strong'
  /** One hint on how to improve, or '' when strong. */
  readonly hint: string
  /** Whether the create button may be enabled (length minimum met). */
  readonly acceptable: boolean
}

/** A few of the most common passwords and fragments; a match makes the guess almost free. */
const COMMON = [
  'password',
  'passw0rd',
  'qwerty',
  'letmein',
  'welcome',
  'iloveyou',
  'admin',
  'monkey',
  'dragon',
  'abc123',
  '123456',
  'wren',
]

const LABELS = ['Very weak', 'Weak', 'Fair', 'Strong', 'Very strong'] as const

function poolSize(s: string): number {
  let pool = 0
  if (/[a-z]/.test(s)) pool += 26
  if (/[A-Z]/.test(s)) pool += 26
  if (/[0-9]/.test(s)) pool += 10
  if (/[^a-zA-Z0-9\s]/.test(s)) pool += 33
  if (/\s/.test(s)) pool += 1
  if ([...s].some((ch) => ch.codePointAt(0)! > 0x7f)) pool += 100
  return Math.max(pool, 1)
}

/** Characters that continue a run (aaaa) or a sequence (abcd, 4321) count for little. */
function effectiveLength(s: string): number {
  const chars = [...s]
  let length = chars.length > 0 ? 1 : 0
  for (let i = 1; i < chars.length; i++) {
    const prev = chars[i - 1]!.codePointAt(0)!
    const cur = chars[i]!.codePointAt(0)!
    length += Math.abs(cur - prev) <= 1 ? 0.25 : 1
  }
  return length
}

export function passphraseStrength(passphrase: string): Strength {
  const length = [...passphrase].length
  const lower = passphrase.toLowerCase()
  let bits = effectiveLength(passphrase) * Math.log2(poolSize(passphrase))
  for (const word of COMMON) if (lower.includes(word)) bits -= word.length * 3
  const words = passphrase
    .trim()
    .split(/\s+/)
    .filter((w) => w.length >= 3)
  if (words.length >= 4) bits += 10 // diceware-style phrases are stronger than their pool suggests
  bits = Math.max(0, Math.round(bits))
  if (length < MIN_PASSPHRASE_CHARS)
    return {
      score: 0,
      bits,
      label: 'Too short',
      hint: `Use at least ${MIN_PASSPHRASE_CHARS} characters.`,
      acceptable: false,
    }
  let score: StrengthScore = 0
  for (const threshold of STRENGTH_THRESHOLDS_BITS)
    if (bits >= threshold) score = (score + 1) as StrengthScore
  const hint =
    score >= 3
      ? ''
      : words.length < 4
        ? 'Add more words: four or more random words make a strong passphrase.'
        : 'Avoid common words, repeats and sequences.'
  return { score, bits, label: LABELS[score], hint, acceptable: true }
}
