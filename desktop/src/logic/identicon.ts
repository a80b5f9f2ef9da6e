/**
 * Identicons (issue 17): an avatar drawn from a contact's identity key, shown when there is no
 * picture. It is derived from the key, not the user id, so a contact whose key changed (a new
 * device without the old keys, or someone else) also looks different.
 *
 * The key is hashed (SHA-256 under a versioned label, so the picture is not the key's raw bits)
 * and the digest picks a colour and a 5×5 grid mirrored left to right, the layout people know
 * from GitHub's identicons. Pure: same key, same picture, in any browser.
 */
import { sha256 } from '@noble/hashes/sha2.js'

/** Cells per side of the grid. Odd, so the middle column is its own mirror. */
export const IDENTICON_GRID = 5
/** Columns that carry bits: the left half and the middle; the right half mirrors them. */
const FREE_COLUMNS = Math.ceil(IDENTICON_GRID / 2)
/** Domain label of the hash; a new version of the drawing changes it. */
const IDENTICON_LABEL = 'wren-identicon-v1:'
/** Saturation and lightness ranges, in percent: readable on both light and dark themes. */
const SATURATION_MIN = 45
const SATURATION_SPAN = 25
const LIGHTNESS_MIN = 42
const LIGHTNESS_SPAN = 14
/** Bytes of an Ed25519 public key. */
const IDENTITY_KEY_BYTES = 32

export interface Identicon {
  /** The foreground colour, a CSS `hsl()`. */
  readonly colour: string
  /** Row-major, IDENTICON_GRID² cells; true = filled. */
  readonly cells: readonly boolean[]
}

/** The identity key as bytes; null when it is not 64 hex characters. */
function keyBytes(identityKeyHex: string): Uint8Array | null {
  if (!/^[0-9a-fA-F]{64}$/.test(identityKeyHex)) return null
  const out = new Uint8Array(IDENTITY_KEY_BYTES)
  for (let i = 0; i < IDENTITY_KEY_BYTES; i++)
    out[i] = Number.parseInt(identityKeyHex.slice(i * 2, i * 2 + 2), 16)
  return out
}

/** The identicon of an identity key (hex, as the RPC gives it); null when it is not a key. */
export function identicon(identityKeyHex: string): Identicon | null {
  const key = keyBytes(identityKeyHex.toLowerCase())
  if (key === null) return null
  const label = new TextEncoder().encode(IDENTICON_LABEL)
  const input = new Uint8Array(label.length + key.length)
  input.set(label)
  input.set(key, label.length)
  const d = sha256(input)
  const hue = (((d[0] as number) << 8) | (d[1] as number)) % 360
  const saturation = SATURATION_MIN + ((d[2] as number) % SATURATION_SPAN)
  const lightness = LIGHTNESS_MIN + ((d[3] as number) % LIGHTNESS_SPAN)
  const cells: boolean[] = []
  for (let row = 0; row < IDENTICON_GRID; row++) {
    for (let col = 0; col < IDENTICON_GRID; col++) {
      const free = col < FREE_COLUMNS ? col : IDENTICON_GRID - 1 - col
      const bit = row * FREE_COLUMNS + free
      // bits from byte 4 on: the colour bytes stay independent of the pattern
      cells.push((((d[4 + (bit >> 3)] as number) >> (bit & 7)) & 1) === 1)
    }
  }
  return { colour: `hsl(${hue} ${saturation}% ${lightness}%)`, cells }
}

/** The filled cells as rectangles in a IDENTICON_GRID-unit square, for an SVG viewBox. */
export function identiconRects(icon: Identicon): { x: number; y: number }[] {
  const rects: { x: number; y: number }[] = []
  icon.cells.forEach((on, i) => {
    if (on) rects.push({ x: i % IDENTICON_GRID, y: Math.floor(i / IDENTICON_GRID) })
  })
  return rects
}
