/**
 * Declarative scenario files (simulations/scenarios/*.json): relays, users, contacts, a message
 * schedule, churn, relay failures, partitions and link conditions. Validated with zod; unknown
 * keys are refused so a typo never silently becomes a default.
 */
import { readFile } from 'node:fs/promises'
import { isAbsolute, join } from 'node:path'
import { z } from 'zod'

/** Where the shipped scenarios live. */
export const SCENARIO_DIR = new URL('../scenarios/', import.meta.url).pathname

const ms = z.number().int().min(0)
const fraction = z.number().min(0).max(1)

const scenarioSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().default(''),
  /** Default seed; `--seed` overrides it. Same seed → same schedule. */
  seed: z.number().int().default(1),
  /** Length of the send schedule. */
  durationMs: ms,
  /** After the last scheduled event, wait at most this long for outstanding deliveries. */
  drainMs: ms.default(30_000),
  relays: z.strictObject({
    count: z.number().int().min(0),
    /** Relay i stops at atMs and comes back (same identity, data and port) after downMs. */
    failures: z.array(z.strictObject({ relay: z.number().int().min(0), atMs: ms, downMs: ms })).default([]),
  }),
  users: z.strictObject({
    count: z.number().int().min(2),
    /** Users started in parallel (bounded so a 2-core machine keeps up). */
    startConcurrency: z.number().int().min(1).default(4),
  }),
  contacts: z.strictObject({
    /** 'all': everyone knows everyone; otherwise each user adds this many random others (both ways). */
    perUser: z.union([z.literal('all'), z.number().int().min(1)]),
  }),
  /** DHT bundle lookups measured before the schedule starts, per user (capped by contacts). */
  lookupsPerUser: z.number().int().min(0).default(2),
  messages: z.strictObject({
    /** Total 1:1 messages, at uniformly random times over durationMs between random contacts. */
    count: z.number().int().min(0),
  }),
  /**
   * Groups run through runtime.groups: the owner (a seeded member) creates the group with the
   * others as invitees, each accepts, then `messages` group messages are sent by random members
   * at random times over durationMs. Members and sends come from their own seeded stream, so
   * adding groups leaves the 1:1 schedule of a seed unchanged.
   */
  groups: z
    .array(z.strictObject({ size: z.number().int().min(2), messages: z.number().int().min(0) }))
    .default([]),
  churn: z
    .strictObject({
      /** Fraction of users taken offline at every interval (users already offline are skipped). */
      fraction,
      intervalMs: z.number().int().min(1),
      offlineMs: z.number().int().min(1),
    })
    .optional(),
  partitions: z
    .array(
      z.strictObject({
        atMs: ms,
        /** Heal this long after the split. */
        durationMs: z.number().int().min(1),
        /** Share of users and of relays (each rounded) on the minority side. */
        fraction,
      }),
    )
    .default([]),
  /**
   * In-process transport: 'memory' (default) runs every node on Wren's simulated links
   * (link-transport.ts: latency, jitter and loss below, bytes per node counted); 'tcp' on
   * unshaped TCP loopback. `--transport` overrides it.
   */
  transport: z.enum(['memory', 'tcp']).default('memory'),
  /**
   * Link conditions, the same on every link and direction: each chunk takes latencyMs ± a
   * uniform jitter sample and is lost (then retransmitted after a TCP-like timeout, holding the
   * chunks behind it) with probability `loss`; jitter and loss are drawn per chunk from seeded
   * streams. Applied by the memory transport in-process and by tc netem in the netns mode; the
   * in-process TCP mode cannot shape links.
   */
  network: z
    .strictObject({
      latencyMs: ms.default(0),
      jitterMs: ms.default(0),
      loss: fraction.default(0),
      /**
       * Per-link distributions (memory transport only): each pair of nodes draws its own latency
       * and loss once per run, uniformly in [min, max], from the run's seed and the pair (the
       * same in both directions; jitter stays `jitterMs`). Replaces latencyMs / loss above for
       * in-process runs; the netns mode applies the single values.
       */
      perLink: z
        .strictObject({
          latencyMs: z
            .strictObject({ min: ms, max: ms })
            .refine((r) => r.min <= r.max, 'min > max')
            .optional(),
          loss: z
            .strictObject({ min: fraction, max: fraction })
            .refine((r) => r.min <= r.max, 'min > max')
            .optional(),
        })
        .optional(),
    })
    .default({ latencyMs: 0, jitterMs: 0, loss: 0 }),
  /**
   * Simulation setting — outbox retry tuning passed to every node (NetworkOptions.retryBaseMs /
   * retryMaxMs). The node's defaults (1 s, 60 s ceiling) suit hours-long outages; a run lasts
   * minutes, so the ceiling is shortened to keep a healed link from waiting out a 60 s backoff.
   */
  retry: z.strictObject({ baseMs: z.number().int().min(1), maxMs: z.number().int().min(1) }).default({
    baseMs: 250,
    maxMs: 2_000,
  }),
  /**
   * Simulation setting — relay mailboxes (NetworkOptions.relays / mailboxCount /
   * mailboxFetchIntervalMs). Every user keeps `count` mailboxes (default min(3, relays)) on the
   * run's relays, its candidate list rotated by user index so the load spreads; the periodic
   * fetch (node default 30 s) is shortened to fit a run of minutes.
   */
  mailboxes: z
    .strictObject({
      enabled: z.boolean().default(true),
      count: z.number().int().min(1).optional(),
      fetchIntervalMs: z.number().int().min(100).default(2_000),
    })
    .default({ enabled: true, fetchIntervalMs: 2_000 }),
  /** Free text: why the simulation settings above differ from the node's defaults. */
  settingsNote: z.string().default(''),
})

export type Scenario = z.infer<typeof scenarioSchema>

/** Mailboxes per user for this scenario: the configured k, else min(3, relays); 0 when off. */
export function mailboxCountOf(scenario: Scenario): number {
  if (!scenario.mailboxes.enabled || scenario.relays.count === 0) return 0
  return Math.min(scenario.mailboxes.count ?? 3, scenario.relays.count)
}

export function parseScenario(value: unknown): Scenario {
  return scenarioSchema.parse(value)
}

/** Load a shipped scenario by name (`smoke`) or a JSON file by path. */
export async function loadScenario(nameOrPath: string): Promise<Scenario> {
  const path =
    nameOrPath.endsWith('.json') || nameOrPath.includes('/')
      ? isAbsolute(nameOrPath)
        ? nameOrPath
        : join(process.cwd(), nameOrPath)
      : join(SCENARIO_DIR, `${nameOrPath}.json`)
  return parseScenario(JSON.parse(await readFile(path, 'utf8')))
}
