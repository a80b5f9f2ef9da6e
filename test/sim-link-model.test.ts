import assert from 'node:assert/strict'
import { test } from 'node:test'
import { linkModelOf } from '../simulations/src/link-model.ts'
import { parseScenario } from '../simulations/src/scenario.ts'

const peers = Array.from({ length: 12 }, (_, i) => `peer-${i}`)

test('per-link ranges: every pair draws its own latency and loss inside the ranges, the same both ways and for the same seed', () => {
  const network = {
    latencyMs: 0,
    jitterMs: 5,
    loss: 0,
    perLink: { latencyMs: { min: 20, max: 180 }, loss: { min: 0, max: 0.05 } },
  }
  const model = linkModelOf(network, 'seed-a')
  const again = linkModelOf(network, 'seed-a')
  const other = linkModelOf(network, 'seed-b')
  const latencies = new Set<number>()
  let differsWithSeed = 0
  for (const a of peers) {
    for (const b of peers) {
      if (a === b) continue
      const link = model(a, b)
      assert.ok(link.latencyMs >= 20 && link.latencyMs <= 180, `latency ${link.latencyMs}`)
      assert.ok(link.loss >= 0 && link.loss <= 0.05, `loss ${link.loss}`)
      assert.equal(link.jitterMs, 5)
      assert.deepEqual(model(b, a), link, 'a link has the same conditions in both directions')
      assert.deepEqual(again(a, b), link, 'the same seed gives the same draw')
      if (other(a, b).latencyMs !== link.latencyMs) differsWithSeed++
      latencies.add(link.latencyMs)
    }
  }
  assert.ok(latencies.size > 10, `pairs differ (${latencies.size} distinct latencies)`)
  assert.ok(differsWithSeed > 0, 'another seed draws other values')
})

test('without per-link ranges every link has the single values', () => {
  const model = linkModelOf({ latencyMs: 60, jitterMs: 20, loss: 0.02 }, 'seed')
  assert.deepEqual(model('a', 'b'), { latencyMs: 60, jitterMs: 20, loss: 0.02 })
  assert.deepEqual(model('c', 'd'), { latencyMs: 60, jitterMs: 20, loss: 0.02 })
})

test('a scenario with a per-link range whose min is above its max is refused', async () => {
  const { readFile } = await import('node:fs/promises')
  const smoke = JSON.parse(
    await readFile(new URL('../simulations/scenarios/smoke.json', import.meta.url), 'utf8'),
  )
  const ok = parseScenario({ ...smoke, network: { perLink: { latencyMs: { min: 10, max: 90 } } } })
  assert.deepEqual(ok.network.perLink?.latencyMs, { min: 10, max: 90 })
  assert.throws(() => parseScenario({ ...smoke, network: { perLink: { latencyMs: { min: 90, max: 10 } } } }))
  assert.throws(() => parseScenario({ ...smoke, network: { perLink: { loss: { min: 0, max: 2 } } } }))
})
