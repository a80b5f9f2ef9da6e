/** Bounded fan-out and a plain sleep, shared by the run's phases; both end early on the run's abort. */

/**
 * Run `fn` over `items` with at most `limit` in flight; resolves when every item is done, or,
 * once `signal` is aborted, when the items already started are done (no new ones start).
 */
export async function pool<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length && signal?.aborted !== true) {
      const item = items[next++] as T
      await fn(item)
    }
  })
  await Promise.all(workers)
}

/** Waits `ms`, or less when `signal` is aborted meanwhile (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted === true) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, Math.max(0, ms))
    signal?.addEventListener('abort', done, { once: true })
  })
}
