import assert from 'node:assert/strict'
import { access, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { writeReport } from '../simulations/src/report.ts'
import { runScenario } from '../simulations/src/run.ts'
import { loadScenario } from '../simulations/src/scenario.ts'
import { summarize } from '../simulations/src/summary.ts'

test('smoke simulation (10 real users, 2 real relays): every 1:1 message and every group message (to each member) arrives exactly once, every DHT bundle lookup succeeds, bytes per node are counted, report files are written', {
  timeout: 120_000,
}, async () => {
  const scenario = await loadScenario('smoke')
  const out = await mkdtemp(join(tmpdir(), 'wren-sim-smoke-'))
  try {
    const result = await runScenario(scenario, { seed: scenario.seed })
    const summary = summarize(result, 'npm run sim -- smoke')
    const files = await writeReport(out, result, summary)

    assert.equal(summary.nodes.users, 10)
    assert.equal(summary.nodes.relays, 2)
    assert.equal(summary.errors, 0, JSON.stringify(result.metrics.errors))
    assert.equal(summary.messages.skippedSenderOffline, 0)
    assert.ok(summary.messages.attempted > 0)
    assert.equal(summary.messages.delivered, summary.messages.attempted, 'every 1:1 message delivered')
    assert.equal(summary.messages.duplicatesShownToUsers, 0)
    assert.equal(summary.messages.duplicateReceivedEvents, 0)
    for (const m of result.metrics.messages)
      assert.equal(m.copiesInHistory, 1, `message ${m.id} in history once`)
    const groups = summary.groups
    assert.ok(groups !== null, 'smoke has a group')
    assert.ok(groups.setup.length > 0 && groups.setup.every((g) => g.ok), JSON.stringify(groups.setup))
    assert.equal(groups.messagesSkipped, 0)
    assert.ok(groups.deliveriesExpected > 0)
    assert.equal(
      groups.deliveriesDelivered,
      groups.deliveriesExpected,
      'every group message reached every member',
    )
    assert.equal(groups.duplicatesShownToUsers, 0)
    assert.equal(groups.duplicateReceivedEvents, 0)
    for (const m of result.metrics.groupMessages)
      for (const u of m.recipients)
        assert.equal(m.copiesInHistory[u], 1, `group message ${m.id} once at ${u}`)
    assert.ok(summary.lookups.count > 0)
    assert.equal(summary.lookups.ok, summary.lookups.count, `lookup failures: ${summary.lookups.failures}`)
    assert.equal(summary.publishes.ok, summary.publishes.count)
    assert.equal(result.transport, 'memory', 'smoke runs on the simulated links')
    assert.ok(summary.bytes.measured, 'bytes are counted on the memory transport')
    assert.ok(
      summary.bytes.wholeRun.perUserSent.count === 10 && (summary.bytes.wholeRun.perUserSent.p50 ?? 0) > 0,
    )
    assert.ok(summary.bytes.wholeRun.relays.every((r) => r.sent > 0 && r.received > 0))

    for (const file of files) await access(file)
    const written = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'))
    assert.equal(written.seed, scenario.seed)
    assert.equal(written.messages.deliveryRatio, 1)
    const html = await readFile(join(out, 'report.html'), 'utf8')
    assert.ok((html.match(/<svg/g) ?? []).length >= 6, 'report has its plots as SVG, bytes per node included')
    assert.ok(!html.includes('plot failed'))
  } finally {
    await rm(out, { recursive: true, force: true })
  }
})
