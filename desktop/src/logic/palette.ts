/**
 * Colours of both themes, declared once. desktop/build.ts turns them into CSS custom properties
 * (`--bg`, `--text`, …) and a unit test checks every text/background pair the views use
 * against WCAG AA contrast, so a palette change cannot quietly make text unreadable.
 */
import type { Theme } from './theme.ts'

export interface Palette {
  readonly bg: string
  readonly sidebar: string
  readonly surface: string
  readonly hover: string
  readonly selected: string
  readonly border: string
  readonly text: string
  readonly muted: string
  readonly accent: string
  readonly accentText: string
  readonly bubbleIn: string
  readonly bubbleInText: string
  /** Sender names on incoming group bubbles. */
  readonly accentOnBubble: string
  readonly bubbleInMeta: string
  readonly bubbleOut: string
  readonly bubbleOutText: string
  readonly bubbleOutMeta: string
  readonly danger: string
  readonly dangerText: string
  readonly warnBg: string
  readonly warnText: string
  readonly ok: string
  /** The online dot on a contact's avatar, drawn over the sidebar and the chat header. */
  readonly online: string
  readonly focus: string
}

export const PALETTES: Readonly<Record<Theme, Palette>> = {
  light: {
    bg: '#ffffff',
    sidebar: '#f5f6f8',
    surface: '#ffffff',
    hover: '#e9ebef',
    selected: '#dde3ee',
    border: '#d9dce1',
    text: '#1b1b1d',
    muted: '#5c5f66',
    accent: '#1d5fd6',
    accentText: '#ffffff',
    bubbleIn: '#e9e9eb',
    bubbleInText: '#1b1b1d',
    accentOnBubble: '#1a55c0',
    bubbleInMeta: '#54575e',
    bubbleOut: '#1d5fd6',
    bubbleOutText: '#ffffff',
    bubbleOutMeta: '#e3ebfb',
    danger: '#b3261e',
    dangerText: '#ffffff',
    warnBg: '#fff4d6',
    warnText: '#5a4100',
    ok: '#137333',
    online: '#137333',
    focus: '#1d5fd6',
  },
  dark: {
    bg: '#121214',
    sidebar: '#1b1c1f',
    surface: '#202124',
    hover: '#2a2b2f',
    selected: '#32353c',
    border: '#34363b',
    text: '#e8e8ea',
    muted: '#a4a7ae',
    accent: '#7aa7ff',
    accentText: '#0b1a33',
    bubbleIn: '#2e2f33',
    bubbleInText: '#e8e8ea',
    accentOnBubble: '#7aa7ff',
    bubbleInMeta: '#b2b5bb',
    bubbleOut: '#2459c4',
    bubbleOutText: '#ffffff',
    bubbleOutMeta: '#dbe6ff',
    danger: '#f2b8b5',
    dangerText: '#3b0908',
    warnBg: '#3d3111',
    warnText: '#ffe2a0',
    ok: '#81c995',
    online: '#6dd58c',
    focus: '#7aa7ff',
  },
}

/** Text/background pairs the stylesheet uses; each must reach WCAG AA for normal text. */
export const CONTRAST_PAIRS: ReadonlyArray<readonly [keyof Palette, keyof Palette]> = [
  ['text', 'bg'],
  ['text', 'sidebar'],
  ['text', 'surface'],
  ['text', 'hover'],
  ['text', 'selected'],
  ['muted', 'bg'],
  ['muted', 'sidebar'],
  ['muted', 'surface'],
  ['muted', 'hover'],
  ['accentText', 'accent'],
  ['bubbleInText', 'bubbleIn'],
  ['bubbleInMeta', 'bubbleIn'],
  ['accentOnBubble', 'bubbleIn'],
  ['bubbleOutText', 'bubbleOut'],
  ['bubbleOutMeta', 'bubbleOut'],
  ['dangerText', 'danger'],
  ['warnText', 'warnBg'],
  ['accent', 'bg'],
  ['accent', 'sidebar'],
  ['accent', 'surface'],
  ['ok', 'surface'],
  // the online dot sits on a ring of the row background, so it must stand out from each of them
  ['online', 'sidebar'],
  ['online', 'hover'],
  ['online', 'selected'],
  ['online', 'surface'],
  ['danger', 'bg'],
  ['danger', 'surface'],
]

/** WCAG 2.x AA minimum contrast ratio for body text. */
export const WCAG_AA_TEXT = 4.5

function channel(c: number): number {
  const s = c / 255
  return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
}

/** Relative luminance of '#rrggbb' (WCAG 2.x). */
export function luminance(hex: string): number {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex)
  if (!m) throw new TypeError(`not a #rrggbb colour: ${hex}`)
  const [r, g, b] = [m[1]!, m[2]!, m[3]!].map((x) => channel(Number.parseInt(x, 16)))
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!
}

export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x)
  return (hi! + 0.05) / (lo! + 0.05)
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
}

/** CSS for both themes: `:root[data-theme=light] { --bg: …; … }`. */
export function paletteCss(): string {
  return (Object.keys(PALETTES) as Theme[])
    .map((theme) => {
      const vars = Object.entries(PALETTES[theme])
        .map(([k, v]) => `  --${kebab(k)}: ${v};`)
        .join('\n')
      return `:root[data-theme='${theme}'] {\n  color-scheme: ${theme};\n${vars}\n}`
    })
    .join('\n')
}
