/**
 * Prometheus metrics for the relay: a small registry of counters and gauges (text exposition
 * format 0.0.4) and an HTTP endpoint bound to 127.0.0.1 only. Gauges may be computed at scrape
 * time from a callback (store totals, reservations, connections).
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

type Labels = Record<string, string>

interface Metric {
  readonly name: string
  readonly help: string
  readonly type: 'counter' | 'gauge'
  readonly values: Map<string, { labels: Labels; value: number }>
  collect?: () => number
}

function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((key) => `${key}=${labels[key]}`)
    .join(',')
}

function formatLabels(labels: Labels): string {
  const keys = Object.keys(labels).sort()
  if (keys.length === 0) return ''
  const escapeValue = (v: string) => v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')
  return `{${keys.map((key) => `${key}="${escapeValue(labels[key] as string)}"`).join(',')}}`
}

export class Counter {
  readonly #metric: Metric
  constructor(metric: Metric) {
    this.#metric = metric
  }
  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels)
    const entry = this.#metric.values.get(key)
    if (entry === undefined) this.#metric.values.set(key, { labels, value: by })
    else entry.value += by
  }
  get(labels: Labels = {}): number {
    return this.#metric.values.get(labelKey(labels))?.value ?? 0
  }
}

export class MetricsRegistry {
  readonly #metrics = new Map<string, Metric>()

  counter(name: string, help: string): Counter {
    return new Counter(this.#add({ name, help, type: 'counter', values: new Map() }))
  }

  /** A gauge whose value is read from `collect` at every scrape. */
  gauge(name: string, help: string, collect: () => number): void {
    this.#add({ name, help, type: 'gauge', values: new Map(), collect })
  }

  /** Text exposition format (version 0.0.4). */
  render(): string {
    const lines: string[] = []
    for (const metric of this.#metrics.values()) {
      lines.push(`# HELP ${metric.name} ${metric.help}`, `# TYPE ${metric.name} ${metric.type}`)
      if (metric.collect !== undefined) {
        let value = 0
        try {
          value = metric.collect()
        } catch {
          value = Number.NaN
        }
        lines.push(`${metric.name} ${value}`)
        continue
      }
      if (metric.values.size === 0) lines.push(`${metric.name} 0`)
      for (const { labels, value } of metric.values.values())
        lines.push(`${metric.name}${formatLabels(labels)} ${value}`)
    }
    return `${lines.join('\n')}\n`
  }

  #add(metric: Metric): Metric {
    if (this.#metrics.has(metric.name)) throw new Error(`metric ${metric.name} registered twice`)
    this.#metrics.set(metric.name, metric)
    return metric
  }
}

/** The mailbox service's counters (store gauges are registered by the relay host). */
export interface MailboxMetrics {
  readonly deposits: Counter
  readonly duplicateDeposits: Counter
  readonly fetches: Counter
  /** Fetches answered with hashes only (the owner read the envelopes from another mailbox). */
  readonly hashFetches: Counter
  readonly ackedEnvelopes: Counter
  readonly expiredEnvelopes: Counter
  readonly registrations: Counter
  readonly prekeyUploads: Counter
  readonly prekeyClaims: Counter
  /** label `reason`: the status name (too_large, malformed, unknown_inbox, quota_count, ...). */
  readonly rejections: Counter
  /**
   * label `limiter`: which token bucket refused (deposit, claim, owner: per peer; inbox_claim:
   * one-time prekeys per inbox). Counted in tokens, so a refused batch counts its envelopes.
   */
  readonly rateLimited: Counter
}

export function createMailboxMetrics(registry: MetricsRegistry): MailboxMetrics {
  return {
    deposits: registry.counter('wren_relay_mailbox_deposits_total', 'Envelopes accepted for storage'),
    duplicateDeposits: registry.counter(
      'wren_relay_mailbox_duplicate_deposits_total',
      'Deposits of an envelope already stored (answered with the same receipt)',
    ),
    fetches: registry.counter('wren_relay_mailbox_fetches_total', 'Authorized fetch requests served'),
    hashFetches: registry.counter(
      'wren_relay_mailbox_hash_fetches_total',
      'Fetch requests answered with hashes only (the owner reads the envelopes elsewhere)',
    ),
    ackedEnvelopes: registry.counter(
      'wren_relay_mailbox_acked_envelopes_total',
      'Envelopes deleted by owner ack',
    ),
    expiredEnvelopes: registry.counter(
      'wren_relay_mailbox_expired_envelopes_total',
      'Envelopes deleted by TTL',
    ),
    registrations: registry.counter('wren_relay_mailbox_registrations_total', 'Inboxes registered'),
    prekeyUploads: registry.counter('wren_relay_mailbox_prekeys_uploaded_total', 'One-time prekeys accepted'),
    prekeyClaims: registry.counter('wren_relay_mailbox_prekeys_claimed_total', 'One-time prekeys handed out'),
    rejections: registry.counter('wren_relay_mailbox_rejections_total', 'Refused mailbox requests by reason'),
    rateLimited: registry.counter(
      'wren_relay_rate_limited_total',
      'Tokens refused by the mailbox rate limiters, by limiter (deposit, claim, owner, inbox_claim)',
    ),
  }
}

export interface MetricsServer {
  /** e.g. http://127.0.0.1:9464/metrics */
  readonly url: string
  close(): Promise<void>
}

/** Serve GET /metrics on 127.0.0.1:`port` (0 = any free port). */
export async function startMetricsServer(registry: MetricsRegistry, port: number): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/metrics' || req.url === '/')) {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
      res.end(registry.render())
      return
    }
    res.writeHead(404, { 'content-type': 'text/plain' })
    res.end('not found\n')
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${address.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
