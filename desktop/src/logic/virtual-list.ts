/**
 * Windowing for long lists with rows of different heights (chat bubbles). Only the rows that
 * intersect the viewport, plus an overscan margin, are rendered; the rest are represented by
 * two spacers. Heights start as an estimate and are replaced by measurements as rows render.
 *
 * Pure and DOM-free so node:test can exercise it; the view feeds it scrollTop, the viewport
 * height and measured row heights.
 */

/** Height assumed for a row never rendered yet, in CSS pixels: one line of text in a bubble. */
export const DEFAULT_ESTIMATED_ROW_PX = 56
/** Extra pixels rendered above and below the viewport, so fast scrolls do not show blanks. */
export const DEFAULT_OVERSCAN_PX = 600

export interface VirtualWindow {
  /** First rendered index (inclusive). */
  readonly start: number
  /** Last rendered index (exclusive). */
  readonly end: number
  /** Height of the spacer above the first rendered row. */
  readonly padTop: number
  /** Height of the spacer below the last rendered row. */
  readonly padBottom: number
  /** Total height of all rows. */
  readonly total: number
}

/**
 * Row heights keyed by a stable row key (message id), so measurements survive prepending
 * older history. Offsets are recomputed lazily in O(n) only after a change.
 */
export class HeightIndex {
  readonly #measured = new Map<string, number>()
  readonly #estimate: number
  #keys: readonly string[] = []
  #offsets: Float64Array = new Float64Array(1)
  #dirty = true

  constructor(estimate: number = DEFAULT_ESTIMATED_ROW_PX) {
    this.#estimate = estimate
  }

  /** Set the current row order (oldest first). Measurements for known keys are kept. */
  setKeys(keys: readonly string[]): void {
    this.#keys = keys
    this.#dirty = true
  }

  get length(): number {
    return this.#keys.length
  }

  /** Record a measured height; returns true when it changed the layout. */
  measure(key: string, height: number): boolean {
    if (!(height >= 0) || this.#measured.get(key) === height) return false
    this.#measured.set(key, height)
    this.#dirty = true
    return true
  }

  heightOf(index: number): number {
    const key = this.#keys[index]
    return key === undefined ? 0 : (this.#measured.get(key) ?? this.#estimate)
  }

  /** Offset of the top of row `index` (index = length gives the total height). */
  offsetOf(index: number): number {
    this.#refresh()
    const i = Math.max(0, Math.min(index, this.#keys.length))
    return this.#offsets[i] ?? 0
  }

  get total(): number {
    return this.offsetOf(this.#keys.length)
  }

  /** Index of the row containing pixel offset `y` (clamped to the list). */
  indexAt(y: number): number {
    this.#refresh()
    const n = this.#keys.length
    if (n === 0) return 0
    let lo = 0
    let hi = n - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if ((this.#offsets[mid] ?? 0) <= y) lo = mid
      else hi = mid - 1
    }
    return lo
  }

  #refresh(): void {
    if (!this.#dirty) return
    const n = this.#keys.length
    const offsets = new Float64Array(n + 1)
    for (let i = 0; i < n; i++) offsets[i + 1] = (offsets[i] ?? 0) + this.heightOf(i)
    this.#offsets = offsets
    this.#dirty = false
  }
}

/** The rows to render for a viewport at `scrollTop` of height `viewport`. */
export function computeWindow(
  index: HeightIndex,
  scrollTop: number,
  viewport: number,
  overscan: number = DEFAULT_OVERSCAN_PX,
): VirtualWindow {
  const n = index.length
  const total = index.total
  if (n === 0) return { start: 0, end: 0, padTop: 0, padBottom: 0, total: 0 }
  const top = Math.max(0, scrollTop - overscan)
  const bottom = Math.min(total, scrollTop + Math.max(0, viewport) + overscan)
  const start = index.indexAt(top)
  let end = index.indexAt(Math.max(top, bottom - 1)) + 1
  if (end > n) end = n
  const padTop = index.offsetOf(start)
  return { start, end, padTop, padBottom: total - index.offsetOf(end), total }
}

/**
 * Scroll position that keeps the same content on screen after rows were inserted above:
 * the old first key's new offset minus where it used to be.
 */
export function anchoredScrollTop(
  index: HeightIndex,
  anchorIndexAfter: number,
  anchorOffsetBefore: number,
  scrollTopBefore: number,
): number {
  return Math.max(0, scrollTopBefore + index.offsetOf(anchorIndexAfter) - anchorOffsetBefore)
}

/** Whether the viewport is close enough to the bottom to follow new messages. */
export const STICK_TO_BOTTOM_PX = 80
export function isNearBottom(scrollTop: number, viewport: number, total: number): boolean {
  return total - (scrollTop + viewport) <= STICK_TO_BOTTOM_PX
}

/** Whether the viewport is close enough to the top to load older history. */
export const LOAD_MORE_THRESHOLD_PX = 400
export function isNearTop(scrollTop: number): boolean {
  return scrollTop <= LOAD_MORE_THRESHOLD_PX
}
