/**
 * How Wren's long-running service processes (the daemon, the relay) are started: the V8 flags
 * every launcher passes to Node (the CLI's `wren daemon`, the desktop launcher, the relay's
 * shebang, the test fixtures and benchmarks), and the check each process runs on itself.
 *
 * Why a young-generation cap: V8 grows the young generation (two semi-spaces) from 1 MB up to
 * 2 × 32 MB whenever allocation is fast, and gives it back only at a full GC. A burst of traffic
 * (a backlog arriving, or protocol abuse: docs/benchmarks.md, bench:abuse) therefore left the
 * daemon ~130 MB above its idle RSS and the relay ~130 MB above its own, with a live heap that
 * had not grown: nothing was leaked, but a mostly idle process runs no full GC for a long time.
 * With 4 MB semi-spaces the same abuse peaks ~100 MB lower and the process is back within a few
 * MB once V8's memory reducer runs (≈100 s after the burst). Scavenges run more often under
 * load; bench:abuse's throughput did not change. 2 MB was tried for issue 14's 120 MB idle goal
 * (a fresh idle daemon 116.8–117.6 MB against 120.1–122.1) and reverted: more promotion under
 * load left a receiver at 153.8–179.8 MB after bench:node's runs (goal 160; 146.4 with 4 MB),
 * and the catch-up of 1,000 queued messages took 519–560 ms against 472–554 (goal 500).
 */

/** Largest V8 semi-space of a service process, MB (the young generation is two of them). */
export const SERVICE_MAX_SEMI_SPACE_MB = 4

/** Node flags of a service process; pass them before the script: `node ...flags main.ts`. */
export const SERVICE_NODE_FLAGS: readonly string[] = Object.freeze([
  `--max-semi-space-size=${SERVICE_MAX_SEMI_SPACE_MB}`,
])

/**
 * Environment a service process is started with, on top of the launcher's own (a value the
 * user set already wins). MALLOC_ARENA_MAX: glibc gives threads that allocate their own malloc
 * arenas (up to 8 per core), and V8's GC workers and libuv's pool threads each touched one: two
 * arenas took an idle daemon's RSS from 121–125 MB to 118–120 MB (measured with node/bench
 * cold-start's daemon, idle 10 s; docs/benchmarks.md), with no change in bench:node's rates.
 */
export const SERVICE_ENV: Readonly<Record<string, string>> = Object.freeze({ MALLOC_ARENA_MAX: '2' })

/** `base` (a launcher's environment) with SERVICE_ENV under it and `extra` over it. */
export function serviceEnv(
  base: Readonly<Record<string, string | undefined>>,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string | undefined> {
  return { ...SERVICE_ENV, ...base, ...extra }
}

/**
 * The service flags a process was started without, given its `process.execArgv` and
 * NODE_OPTIONS (Node takes flags from both). Empty when every one is there, with any value: an
 * operator may choose another size on purpose.
 */
export function missingServiceFlags(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)]
    .filter((flag) => flag.startsWith('--'))
    .map((flag) => flagName(flag))
  return SERVICE_NODE_FLAGS.filter((flag) => !given.includes(flagName(flag)))
}

/** `--max-semi-space-size=4` → `max-semi-space-size`; V8 treats `_` and `-` alike. */
function flagName(flag: string): string {
  return (flag.split('=')[0] ?? '').slice(2).replaceAll('_', '-')
}
