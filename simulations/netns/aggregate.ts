/**
 * Reads the result-<i>.json files of a netns run and writes summary.json next to them: delivery
 * ratio, latency percentiles, duplicates (receive events per message), lookup success and latency.
 *   node simulations/netns/aggregate.ts <shared dir> <scenario> <seed> <latencyMs> <jitterMs> <loss> <netem 1|0>
 */
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { percentiles } from '../src/summary.ts'

interface Result {
  index: number
  sent: Array<{ id: number; to: number; messageId: string; sentAt: number }>
  received: Array<{ messageId: string; at: number }>
  lookups: Array<{ to: number; ok: boolean; ms: number }>
}

async function main([shared, scenario, seed, latencyMs, jitterMs, loss, netem]: string[]): Promise<void> {
  if (shared === undefined) throw new Error('usage: aggregate.ts <shared dir> …')
  const results: Result[] = []
  for (const name of await readdir(shared)) {
    if (/^result-\d+\.json$/.test(name)) results.push(JSON.parse(await readFile(join(shared, name), 'utf8')))
  }
  const receivedBy = new Map<number, Map<string, number[]>>()
  for (const r of results) {
    const map = new Map<string, number[]>()
    for (const x of r.received) map.set(x.messageId, [...(map.get(x.messageId) ?? []), x.at])
    receivedBy.set(r.index, map)
  }
  const sent = results.flatMap((r) => r.sent)
  const latencies: number[] = []
  let duplicates = 0
  for (const s of sent) {
    const times = receivedBy.get(s.to)?.get(s.messageId) ?? []
    if (times.length > 1) duplicates++
    const first = times[0]
    if (first !== undefined) latencies.push(first - s.sentAt)
  }
  const lookups = results.flatMap((r) => r.lookups)
  const summary = {
    scenario,
    seed: Number(seed),
    mode:
      netem === '1'
        ? 'netns: one process per network namespace, veth to a bridge, tc netem on every node link'
        : 'netns: one process per network namespace, veth to a bridge; links UNSHAPED (no netem in this kernel)',
    netem: { delayMs: Number(latencyMs), jitterMs: Number(jitterMs), loss: Number(loss) },
    nodes: { users: results.length, relays: 1 },
    messages: {
      sent: sent.length,
      delivered: latencies.length,
      deliveryRatio: sent.length === 0 ? null : latencies.length / sent.length,
      duplicateReceivedEvents: duplicates,
      latencyMs: percentiles(latencies),
    },
    lookups: {
      count: lookups.length,
      ok: lookups.filter((l) => l.ok).length,
      latencyMs: percentiles(lookups.filter((l) => l.ok).map((l) => l.ms)),
    },
  }
  await writeFile(join(shared, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`)
  console.log(JSON.stringify(summary, null, 2))
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
