/**
 * Writes a run's output folder: summary.json, metrics.json and report.html — a self-contained
 * page whose plots are Vega-Lite specs rendered to SVG here (no script or network at view time):
 * latency CDFs, delivery over time with churn, partitions and relay failures marked, DHT lookup
 * latency, load per relay, bytes per node (memory transport), and the process's memory over time.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as vega from 'vega'
import type { TopLevelSpec } from 'vega-lite'
import * as vl from 'vega-lite'
import type { RunResult } from './run.ts'
import type { Summary } from './summary.ts'

/** Width of every plot in px. */
const PLOT_WIDTH = 640
/** Buckets of the delivery-over-time plot. */
const TIME_BUCKET_MS = 1_000

async function svg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' })
  try {
    return await view.toSVG()
  } finally {
    view.finalize()
  }
}

function cdf(
  values: readonly number[],
  series: string,
): Array<{ ms: number; fraction: number; series: string }> {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.map((ms, i) => ({ ms, fraction: (i + 1) / sorted.length, series }))
}

function cdfSpec(title: string, data: ReturnType<typeof cdf>): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: PLOT_WIDTH,
    height: 240,
    data: { values: data },
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: { field: 'ms', type: 'quantitative', title: 'ms', scale: { type: 'symlog' } },
      y: { field: 'fraction', type: 'quantitative', title: 'fraction ≤ x', scale: { domain: [0, 1] } },
      color: { field: 'series', type: 'nominal', title: null },
    },
  }
}

function deliverySpec(result: RunResult): TopLevelSpec {
  const { metrics } = result
  const end = Math.max(
    result.scenario.durationMs,
    ...metrics.messages.map((m) => m.deliveredAt ?? 0),
    ...metrics.offlineTimeline.map((o) => o.t),
  )
  const rows: Array<{ t: number; count: number; series: string }> = []
  let sent = 0
  let delivered = 0
  const attempted = metrics.messages.filter((m) => m.skipped === null)
  for (let t = 0; t <= end + TIME_BUCKET_MS; t += TIME_BUCKET_MS) {
    sent = attempted.filter((m) => m.at <= t).length
    delivered = attempted.filter((m) => m.deliveredAt !== null && m.deliveredAt <= t).length
    rows.push({ t: t / 1000, count: sent, series: 'sent (cumulative)' })
    rows.push({ t: t / 1000, count: delivered, series: 'delivered (cumulative)' })
  }
  const offline = metrics.offlineTimeline.map((o) => ({ t: o.t / 1000, offline: o.offline }))
  if (offline.length > 0)
    offline.push({ t: (end + TIME_BUCKET_MS) / 1000, offline: offline.at(-1)?.offline ?? 0 })
  const markers = metrics.markers.map((m) => ({
    from: m.from / 1000,
    to: (m.to ?? end) / 1000,
    label: m.label,
    kind: m.kind,
  }))
  const layers: NonNullable<Extract<TopLevelSpec, { layer: unknown }>['layer']> = []
  if (markers.length > 0) {
    layers.push({
      data: { values: markers },
      mark: { type: 'rect', opacity: 0.15 },
      encoding: {
        x: { field: 'from', type: 'quantitative' },
        x2: { field: 'to' },
        color: { field: 'kind', type: 'nominal', title: 'fault', scale: { range: ['#d62728', '#9467bd'] } },
      },
    })
  }
  layers.push({
    data: { values: rows },
    mark: { type: 'line' },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 's since schedule start' },
      y: { field: 'count', type: 'quantitative', title: 'messages' },
      strokeDash: { field: 'series', type: 'nominal', title: null },
    },
  })
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Delivery over time (shaded: partitions / relay failures)',
    vconcat: [
      { width: PLOT_WIDTH, height: 240, layer: layers },
      {
        width: PLOT_WIDTH,
        height: 80,
        data: { values: offline },
        mark: { type: 'area', interpolate: 'step-after', opacity: 0.5 },
        encoding: {
          x: { field: 't', type: 'quantitative', title: 's since schedule start' },
          y: { field: 'offline', type: 'quantitative', title: 'users offline' },
        },
      },
    ],
    resolve: { scale: { color: 'independent' } },
  }
  return spec
}

function relaySpec(result: RunResult): TopLevelSpec {
  const values = result.metrics.relayLoad.flatMap((r) =>
    (['deposits', 'fetches', 'registrations', 'connections'] as const).map((metric) => ({
      relay: `relay ${r.relay}`,
      metric,
      value: r[metric],
    })),
  )
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Load per relay (from the relays’ own metrics, end of run)',
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', title: null } },
    spec: {
      width: 130,
      height: 160,
      mark: 'bar',
      encoding: {
        x: { field: 'relay', type: 'nominal', title: null },
        y: { field: 'value', type: 'quantitative', title: null },
      },
    },
    resolve: { scale: { y: 'independent' } },
  }
}

/** Bytes sent per node over the whole run: users as a histogram, relays as bars (memory transport only). */
function bytesSpec(result: RunResult): TopLevelSpec | null {
  const traffic = result.metrics.traffic
  if (traffic === null) return null
  const users = traffic.total.users.map((u) => ({ KiB: u.sent / 1024, user: u.node }))
  const relays = traffic.total.relays.flatMap((r) => [
    { relay: `relay ${r.node}`, direction: 'sent', MiB: r.sent / 2 ** 20 },
    { relay: `relay ${r.node}`, direction: 'received', MiB: r.received / 2 ** 20 },
  ])
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Bytes on the wire per node (whole run, noise + yamux framing included)',
    hconcat: [
      {
        width: 320,
        height: 200,
        title: 'users: KiB sent (histogram)',
        data: { values: users },
        mark: 'bar',
        encoding: {
          x: { field: 'KiB', type: 'quantitative', bin: { maxbins: 20 }, title: 'KiB sent' },
          y: { aggregate: 'count', type: 'quantitative', title: 'users' },
        },
      },
      {
        width: 200,
        height: 200,
        title: 'relays: MiB sent / received',
        data: { values: relays },
        mark: 'bar',
        encoding: {
          x: { field: 'relay', type: 'nominal', title: null },
          xOffset: { field: 'direction', type: 'nominal' },
          y: { field: 'MiB', type: 'quantitative' },
          color: { field: 'direction', type: 'nominal', title: null },
        },
      },
    ],
  }
}

function memorySpec(result: RunResult): TopLevelSpec {
  const values = result.metrics.samples.flatMap((s) => [
    { t: s.t / 1000, MiB: s.rssMiB, series: 'rss' },
    { t: s.t / 1000, MiB: s.heapMiB, series: 'heap used' },
  ])
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Process memory during the schedule',
    width: PLOT_WIDTH,
    height: 160,
    data: { values },
    mark: 'line',
    encoding: {
      x: { field: 't', type: 'quantitative', title: 's since schedule start' },
      y: { field: 'MiB', type: 'quantitative' },
      color: { field: 'series', type: 'nominal', title: null },
    },
  }
}

const escapeHtml = (s: string) =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')

export async function writeReport(outDir: string, result: RunResult, summary: Summary): Promise<string[]> {
  await mkdir(outDir, { recursive: true })
  const { metrics } = result
  const delivered = metrics.messages.flatMap((m) =>
    m.latencyMs === null ? [] : [Math.max(0.1, m.latencyMs)],
  )
  const online = metrics.messages.flatMap((m) =>
    m.latencyMs === null || !m.pairOnlineAtSend ? [] : [Math.max(0.1, m.latencyMs)],
  )
  const group = metrics.groupMessages.flatMap((m) =>
    m.calledAt === null
      ? []
      : Object.values(m.deliveredAt).map((t) => Math.max(0.1, t - (m.calledAt as number))),
  )
  const plots: Array<[string, TopLevelSpec]> = [
    [
      'Delivery latency',
      cdfSpec('Delivery latency (CDF; from the send call to message.received)', [
        ...cdf(delivered, '1:1, all delivered'),
        ...cdf(online, '1:1, both online at send'),
        ...cdf(group, 'group, per member'),
      ]),
    ],
    ['Delivery over time', deliverySpec(result)],
    [
      'DHT bundle lookups',
      cdfSpec(
        'DHT bundle lookup latency (CDF, successful lookups)',
        cdf(
          metrics.lookups.filter((l) => l.ok).map((l) => Math.max(0.1, l.ms)),
          'lookups',
        ),
      ),
    ],
    ['Relays', relaySpec(result)],
  ]
  const bytes = bytesSpec(result)
  if (bytes !== null) plots.push(['Bytes per node', bytes])
  plots.push(['Memory', memorySpec(result)])
  const sections: string[] = []
  for (const [title, spec] of plots) {
    let body: string
    try {
      body = await svg(spec)
    } catch (error) {
      body = `<p>plot failed: ${escapeHtml(String((error as Error)?.message ?? error))}</p>`
    }
    sections.push(`<section><h2>${escapeHtml(title)}</h2>${body}</section>`)
  }
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Wren simulation: ${escapeHtml(summary.scenario)} (seed ${summary.seed})</title>
<style>body{font-family:system-ui,sans-serif;max-width:900px;margin:2em auto;padding:0 1em;color:#222}
pre{background:#f5f5f5;padding:1em;overflow:auto;font-size:12px}section{margin:2em 0}</style></head>
<body><h1>Wren simulation: ${escapeHtml(summary.scenario)}</h1>
<p>Seed ${summary.seed} · ${summary.nodes.users} users · ${summary.nodes.relays} relays · ${escapeHtml(summary.mode)} · started ${escapeHtml(summary.startedAt)}</p>
<p>Replay: <code>${escapeHtml(summary.command)}</code></p>
<h2>Summary</h2><pre>${escapeHtml(JSON.stringify(summary, null, 2))}</pre>
${bytes === null ? `<section><h2>Bytes per node</h2><p>Not measured: the ${escapeHtml(result.transport)} transport does not count bytes (run on the memory transport).</p></section>` : ''}
${sections.join('\n')}
</body></html>
`
  const files = [join(outDir, 'summary.json'), join(outDir, 'metrics.json'), join(outDir, 'report.html')]
  await writeFile(files[0] as string, `${JSON.stringify(summary, null, 2)}\n`)
  await writeFile(
    files[1] as string,
    `${JSON.stringify(
      {
        plan: {
          seed: result.plan.seed,
          users: result.plan.users,
          relays: result.plan.relays,
          contacts: result.plan.contacts.length,
          events: result.plan.events.length,
        },
        messages: metrics.messages,
        groupSetup: result.groupSetup,
        groupMessages: metrics.groupMessages,
        lookups: metrics.lookups,
        publishes: metrics.publishes,
        samples: metrics.samples,
        markers: metrics.markers,
        offlineTimeline: metrics.offlineTimeline,
        relayLoad: metrics.relayLoad,
        mailboxesAtEnd: metrics.mailboxesAtEnd,
        errors: metrics.errors,
        transport: result.transport,
        /** Bytes per node (memory transport); null: not measured on TCP. */
        traffic: metrics.traffic,
      },
      null,
      1,
    )}\n`,
  )
  await writeFile(files[2] as string, html)
  return files
}
