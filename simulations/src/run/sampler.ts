/** Process CPU, memory, users online and open connections, sampled while a run lasts. */
import type { RunState } from './run-state.ts'

/** CPU / memory / connection sampling period. */
const SAMPLE_INTERVAL_MS = 1_000

/** Starts sampling into the run's current metrics; returns the function that stops it. */
export function startSampler(state: RunState): () => void {
  const sampler = setInterval(() => {
    const metrics = state.metrics
    const cpu = process.cpuUsage()
    const mem = process.memoryUsage()
    metrics.samples.push({
      t: Math.round(metrics.now()),
      cpuUserMs: Math.round(cpu.user / 1000),
      cpuSystemMs: Math.round(cpu.system / 1000),
      rssMiB: Math.round(mem.rss / 2 ** 20),
      heapMiB: Math.round(mem.heapUsed / 2 ** 20),
      online: state.users.filter((u) => u.online).length,
      connections: state.users.reduce((n, u) => n + (u.runtime?.libp2p.getConnections().length ?? 0), 0),
    })
  }, SAMPLE_INTERVAL_MS)
  sampler.unref()
  return () => clearInterval(sampler)
}
