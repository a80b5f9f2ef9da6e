/**
 * Relay configuration: defaults ← JSON config file ← environment overrides (WREN_RELAY_*).
 * Validated with zod at load time; unknown keys are refused so a typo never silently falls back
 * to a default.
 */
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import { z } from 'zod'
import { BLOB_TTL_MS } from '../../core/src/blob/constants.ts'
import { MAILBOX_MAX_ENVELOPE_BYTES, MAILBOX_TTL_MS } from '../../core/src/mailbox/constants.ts'
import {
  DEFAULT_BLOB_SWEEP_INTERVAL_MS,
  DEFAULT_CLAIM_BURST,
  DEFAULT_CLAIM_RATE_PER_SECOND,
  DEFAULT_DEPOSIT_BURST,
  DEFAULT_DEPOSIT_RATE_PER_SECOND,
  DEFAULT_INBOX_CLAIM_BURST,
  DEFAULT_INBOX_CLAIM_RATE_PER_SECOND,
  DEFAULT_MAX_BLOB_BYTES_PER_SENDER,
  DEFAULT_MAX_BLOB_STORE_BYTES,
  DEFAULT_MAX_BLOBS_PER_SENDER,
  DEFAULT_MAX_BYTES_PER_INBOX,
  DEFAULT_MAX_ENVELOPES_PER_INBOX,
  DEFAULT_MAX_INBOXES,
  DEFAULT_MAX_PREKEYS_PER_INBOX,
  DEFAULT_MAX_RESERVATIONS,
  DEFAULT_METRICS_PORT,
  DEFAULT_OWNER_BURST,
  DEFAULT_OWNER_RATE_PER_SECOND,
  DEFAULT_RELAY_DATA_LIMIT_BYTES,
  DEFAULT_RELAY_DURATION_LIMIT_MS,
  DEFAULT_RESERVATION_TTL_MS,
  DEFAULT_SWEEP_INTERVAL_MS,
  DEFAULT_TCP_PORT,
  DEFAULT_TURN_BINARY,
  DEFAULT_TURN_CREDENTIAL_BURST,
  DEFAULT_TURN_CREDENTIAL_RATE_PER_SECOND,
  DEFAULT_TURN_MAX_BPS,
  DEFAULT_TURN_MAX_PORT,
  DEFAULT_TURN_MIN_PORT,
  DEFAULT_TURN_PORT,
  DEFAULT_TURN_REALM,
  DEFAULT_TURN_TOTAL_QUOTA,
  DEFAULT_TURN_USER_QUOTA,
  DEFAULT_WS_PORT,
} from './constants.ts'
import { ConfigError } from './errors.ts'

const port = z.number().int().min(0).max(65535)
const count = z.number().int().min(0)
const positive = z.number().int().min(1)
const rate = z.strictObject({ burst: positive, ratePerSecond: z.number().min(0) })

const configSchema = z.strictObject({
  /** Folder holding identity.key (0600) and the LevelDB store (created 0700). */
  dataDir: z.string().min(1),
  listen: z.strictObject({
    /** Interface to bind (0.0.0.0 on a public host; 127.0.0.1 for a relay of this machine only). */
    host: z.string().min(1),
    /** 0 = any free port. */
    tcpPort: port,
    /** 0 = any free port; -1 disables WebSockets. */
    wsPort: z.number().int().min(-1).max(65535),
  }),
  /** Public multiaddrs to announce instead of the listen addresses (e.g. behind port forwarding). */
  announce: z.array(z.string()),
  /** Multiaddrs (with /p2p/<id>) of other Wren relays to dial at start. */
  bootstrap: z.array(z.string()),
  metrics: z.strictObject({ enabled: z.boolean(), port }),
  mailbox: z.strictObject({
    maxEnvelopesPerInbox: positive,
    maxBytesPerInbox: positive,
    maxPrekeysPerInbox: count,
    maxEnvelopeBytes: positive.max(MAILBOX_MAX_ENVELOPE_BYTES),
    maxInboxes: positive,
    ttlMs: positive,
    /** 0 disables the periodic TTL sweep. */
    sweepIntervalMs: count,
    depositRate: rate,
    claimRate: rate,
    inboxClaimRate: rate,
    ownerRate: rate,
  }),
  /** The blob service (offline path of files): per-sender quotas, the store's cap, TTL, sweep. */
  blob: z.strictObject({
    maxBytesPerSender: positive,
    maxBlobsPerSender: positive,
    maxStoreBytes: positive,
    ttlMs: positive,
    /** 0 disables the periodic TTL sweep. */
    sweepIntervalMs: count,
  }),
  circuitRelay: z.strictObject({
    maxReservations: positive,
    reservationTtlMs: positive,
    durationLimitMs: positive,
    dataLimitBytes: positive,
  }),
  dht: z.strictObject({
    /** Announce a provider record for the mailbox CID (best effort). */
    provide: z.boolean(),
  }),
  /** TURN for calls: Debian's coturn run beside the relay, credentials over /wren/turn/1.0.0. */
  turn: z.strictObject({
    enabled: z.boolean(),
    /** The coturn program (`turnserver` from Debian's coturn package). */
    binary: z.string().min(1),
    /** Address coturn listens on, UDP and TCP (0.0.0.0 on a public host, 127.0.0.1 for tests). */
    listenIp: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    /** Address relayed ports bind to; '' = the listen IP (coturn picks one when that is a wildcard). */
    relayIp: z.string(),
    /** The public address of a relay behind a 1:1 NAT (cloud hosts); '' = none. */
    externalIp: z.string(),
    minPort: z.number().int().min(1).max(65535),
    maxPort: z.number().int().min(1).max(65535),
    /** turn: URLs handed to peers; empty = derived from externalIp, listenIp or announce. */
    urls: z.array(z.string().regex(/^turns?:/)),
    realm: z.string().min(1),
    /** Tests on one machine only: relay to 127.0.0.0/8 and ::1 (coturn refuses them otherwise). */
    allowLoopbackPeers: z.boolean(),
    /** Relays on a LAN only: relay to private ranges (refused by default: the operator's LAN stays closed). */
    allowPrivatePeers: z.boolean(),
    /** Allocations per username (one peer's credential), in all, and bytes/s per allocation (coturn's). */
    userQuota: count,
    totalQuota: count,
    maxBps: count,
    credentialRate: rate,
  }),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']),
})

export type RelayConfig = z.infer<typeof configSchema>

type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K]
}
export type RelayConfigInput = DeepPartial<RelayConfig>

/** Folder name of the relay's data under the user's data directory. */
export const RELAY_DATA_DIRNAME = 'wren-relay'

/**
 * Where a relay keeps its identity key and mailboxes when nothing names a folder: the user's data
 * directory ($XDG_DATA_HOME, else ~/.local/share, per the XDG base directory spec), never the
 * folder it was started from (that was the repository for `npm run relay`).
 */
export function defaultRelayDataDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const xdg = env.XDG_DATA_HOME
  // the spec says a relative XDG_DATA_HOME is invalid and must be ignored
  const base = xdg !== undefined && isAbsolute(xdg) ? xdg : join(home, '.local', 'share')
  return join(base, RELAY_DATA_DIRNAME)
}

export function defaultRelayConfig(dataDir: string): RelayConfig {
  return {
    dataDir,
    listen: { host: '0.0.0.0', tcpPort: DEFAULT_TCP_PORT, wsPort: DEFAULT_WS_PORT },
    announce: [],
    bootstrap: [],
    metrics: { enabled: true, port: DEFAULT_METRICS_PORT },
    mailbox: {
      maxEnvelopesPerInbox: DEFAULT_MAX_ENVELOPES_PER_INBOX,
      maxBytesPerInbox: DEFAULT_MAX_BYTES_PER_INBOX,
      maxPrekeysPerInbox: DEFAULT_MAX_PREKEYS_PER_INBOX,
      maxEnvelopeBytes: MAILBOX_MAX_ENVELOPE_BYTES,
      maxInboxes: DEFAULT_MAX_INBOXES,
      ttlMs: MAILBOX_TTL_MS,
      sweepIntervalMs: DEFAULT_SWEEP_INTERVAL_MS,
      depositRate: { burst: DEFAULT_DEPOSIT_BURST, ratePerSecond: DEFAULT_DEPOSIT_RATE_PER_SECOND },
      claimRate: { burst: DEFAULT_CLAIM_BURST, ratePerSecond: DEFAULT_CLAIM_RATE_PER_SECOND },
      inboxClaimRate: {
        burst: DEFAULT_INBOX_CLAIM_BURST,
        ratePerSecond: DEFAULT_INBOX_CLAIM_RATE_PER_SECOND,
      },
      ownerRate: { burst: DEFAULT_OWNER_BURST, ratePerSecond: DEFAULT_OWNER_RATE_PER_SECOND },
    },
    blob: {
      maxBytesPerSender: DEFAULT_MAX_BLOB_BYTES_PER_SENDER,
      maxBlobsPerSender: DEFAULT_MAX_BLOBS_PER_SENDER,
      maxStoreBytes: DEFAULT_MAX_BLOB_STORE_BYTES,
      ttlMs: BLOB_TTL_MS,
      sweepIntervalMs: DEFAULT_BLOB_SWEEP_INTERVAL_MS,
    },
    circuitRelay: {
      maxReservations: DEFAULT_MAX_RESERVATIONS,
      reservationTtlMs: DEFAULT_RESERVATION_TTL_MS,
      durationLimitMs: DEFAULT_RELAY_DURATION_LIMIT_MS,
      dataLimitBytes: DEFAULT_RELAY_DATA_LIMIT_BYTES,
    },
    dht: { provide: true },
    turn: {
      enabled: false,
      binary: DEFAULT_TURN_BINARY,
      listenIp: '0.0.0.0',
      port: DEFAULT_TURN_PORT,
      relayIp: '',
      externalIp: '',
      minPort: DEFAULT_TURN_MIN_PORT,
      maxPort: DEFAULT_TURN_MAX_PORT,
      urls: [],
      realm: DEFAULT_TURN_REALM,
      allowLoopbackPeers: false,
      allowPrivatePeers: false,
      userQuota: DEFAULT_TURN_USER_QUOTA,
      totalQuota: DEFAULT_TURN_TOTAL_QUOTA,
      maxBps: DEFAULT_TURN_MAX_BPS,
      credentialRate: {
        burst: DEFAULT_TURN_CREDENTIAL_BURST,
        ratePerSecond: DEFAULT_TURN_CREDENTIAL_RATE_PER_SECOND,
      },
    },
    logLevel: 'info',
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function merge(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override === undefined ? base : override
  const out: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(override)) out[key] = merge(base[key], value)
  return out
}

function envInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]
  if (raw === undefined || raw === '') return undefined
  const n = Number(raw)
  if (!Number.isInteger(n)) throw new ConfigError(`${name} must be an integer`)
  return n
}

function envList(env: NodeJS.ProcessEnv, name: string): string[] | undefined {
  const raw = env[name]
  if (raw === undefined || raw === '') return undefined
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}

function envBool(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const raw = env[name]
  if (raw === undefined || raw === '') return undefined
  if (raw === '1' || raw === 'true') return true
  if (raw === '0' || raw === 'false') return false
  throw new ConfigError(`${name} must be true/false/1/0`)
}

/** The environment overrides, as a partial config (only variables that are set). */
export function envOverrides(env: NodeJS.ProcessEnv): RelayConfigInput {
  const logLevel = env.WREN_RELAY_LOG_LEVEL
  return {
    dataDir: env.WREN_RELAY_DATA_DIR || undefined,
    listen: {
      host: env.WREN_RELAY_HOST || undefined,
      tcpPort: envInt(env, 'WREN_RELAY_TCP_PORT'),
      wsPort: envInt(env, 'WREN_RELAY_WS_PORT'),
    },
    announce: envList(env, 'WREN_RELAY_ANNOUNCE'),
    bootstrap: envList(env, 'WREN_RELAY_BOOTSTRAP'),
    metrics: { port: envInt(env, 'WREN_RELAY_METRICS_PORT'), enabled: envBool(env, 'WREN_RELAY_METRICS') },
    turn: {
      enabled: envBool(env, 'WREN_RELAY_TURN'),
      listenIp: env.WREN_RELAY_TURN_LISTEN_IP || undefined,
      port: envInt(env, 'WREN_RELAY_TURN_PORT'),
      externalIp: env.WREN_RELAY_TURN_EXTERNAL_IP || undefined,
      urls: envList(env, 'WREN_RELAY_TURN_URLS'),
    },
    logLevel: (logLevel || undefined) as RelayConfig['logLevel'] | undefined,
  }
}

export interface LoadRelayConfigOptions {
  /** JSON config file; missing keys take defaults. */
  configPath?: string
  /** Environment to read WREN_RELAY_* from (default: none). */
  env?: NodeJS.ProcessEnv
  /** Applied last (programmatic callers, tests). */
  overrides?: RelayConfigInput
  /** Data dir when neither file, env nor overrides name one (default defaultRelayDataDir()). */
  defaultDataDir?: string
}

/**
 * Environment variables: WREN_RELAY_DATA_DIR, WREN_RELAY_HOST, WREN_RELAY_TCP_PORT,
 * WREN_RELAY_WS_PORT, WREN_RELAY_METRICS (bool), WREN_RELAY_METRICS_PORT, WREN_RELAY_ANNOUNCE
 * and WREN_RELAY_BOOTSTRAP (comma-separated multiaddrs), WREN_RELAY_LOG_LEVEL; TURN: WREN_RELAY_TURN
 * (bool), WREN_RELAY_TURN_LISTEN_IP, WREN_RELAY_TURN_PORT, WREN_RELAY_TURN_EXTERNAL_IP,
 * WREN_RELAY_TURN_URLS (comma-separated turn: URLs).
 */
export function loadRelayConfig(options: LoadRelayConfigOptions = {}): RelayConfig {
  let fromFile: unknown = {}
  if (options.configPath !== undefined) {
    try {
      fromFile = JSON.parse(readFileSync(options.configPath, 'utf8'))
    } catch (err) {
      throw new ConfigError(`cannot read config file ${options.configPath}`, { cause: err })
    }
    if (!isPlainObject(fromFile)) throw new ConfigError('config file must hold a JSON object')
  }
  const env = options.env === undefined ? {} : envOverrides(options.env)
  const layered = [fromFile, env, options.overrides ?? {}].reduce(
    (acc, layer) => merge(acc, layer),
    defaultRelayConfig(options.defaultDataDir ?? defaultRelayDataDir(options.env ?? process.env)),
  ) as Record<string, unknown>
  const parsed = configSchema.safeParse(layered)
  if (!parsed.success) throw new ConfigError(`invalid relay config: ${parsed.error.message}`)
  if (parsed.data.turn.minPort > parsed.data.turn.maxPort)
    throw new ConfigError('invalid relay config: turn.minPort is above turn.maxPort')
  return parsed.data
}
