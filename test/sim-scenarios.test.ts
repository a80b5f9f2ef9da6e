import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type RunResult, runScenario } from '../simulations/src/run.ts'
import { loadScenario } from '../simulations/src/scenario.ts'
import { type Summary, summarize } from '../simulations/src/summary.ts'

/** Issue 20's goal for a healed partition: every message held across it delivered within 30 s. */
const HEALED_DELIVERY_GOAL_MS = 30_000
/** Bound per test: the runs take ~30–40 s at a load of 8–17 on 2 cores; the runner bounds each phase too. */
const SCENARIO_TEST_TIMEOUT_MS = 150_000

/** Runs a shipped test-sized scenario at its own seed. */
async function run(name: string): Promise<{ result: RunResult; summary: Summary }> {
  const scenario = await loadScenario(name)
  const result = await runScenario(scenario, { seed: scenario.seed })
  return { result, summary: summarize(result, `npm run sim -- ${name}`) }
}

/** Every phase completed, nothing threw, every attempted 1:1 message arrived exactly once. */
function assertAllDeliveredOnce({ result, summary }: { result: RunResult; summary: Summary }): void {
  assert.equal(summary.incomplete, null, JSON.stringify(summary.notes))
  assert.equal(summary.errors, 0, JSON.stringify(result.metrics.errors))
  const m = summary.messages
  assert.ok(m.attempted > 0)
  assert.equal(m.delivered, m.attempted, `delivered ${m.delivered}/${m.attempted}`)
  assert.equal(m.deliveryRatio, 1)
  assert.equal(m.duplicatesShownToUsers, 0)
  assert.equal(m.duplicateReceivedEvents, 0)
  for (const record of result.metrics.messages)
    if (record.skipped === null)
      assert.equal(record.copiesInHistory, 1, `message ${record.id} in history once`)
}

test('churn at test size (6 users, 2 relays, a third offline in waves): every attempted message, including those sent to an absent user, arrives exactly once', {
  timeout: SCENARIO_TEST_TIMEOUT_MS,
}, async () => {
  const run_ = await run('churn-small')
  assertAllDeliveredOnce(run_)
  const m = run_.summary.messages
  assert.ok(m.notOnlineAtSendLatencyMs.count >= 1, 'some messages were sent to a user who was offline')
  assert.ok(m.skippedSenderOffline >= 1, 'churn took senders offline too')
})

test('partition at test size (2 of 6 users and 1 of 2 relays split off for 10 s): every message arrives exactly once, and those held across the split within 30 s of the heal', {
  timeout: SCENARIO_TEST_TIMEOUT_MS,
}, async () => {
  const run_ = await run('partition-small')
  assertAllDeliveredOnce(run_)
  const [partition, ...others] = run_.summary.partitions
  assert.ok(partition !== undefined && others.length === 0, 'one partition')
  assert.notEqual(partition.healedAtMs, null, 'the partition healed')
  assert.ok(partition.heldMessages >= 1, 'messages were sent across the split')
  assert.equal(partition.heldDelivered, partition.heldMessages)
  assert.ok(
    (partition.afterHealMs.max ?? Infinity) <= HEALED_DELIVERY_GOAL_MS,
    `delivered after the heal: ${JSON.stringify(partition.afterHealMs)}`,
  )
})

test('offline at test size (relay 1 of 2 down for 10 s, half the users offline in waves): every message to an absent user still arrives exactly once, through the mailboxes', {
  timeout: SCENARIO_TEST_TIMEOUT_MS,
}, async () => {
  const run_ = await run('offline-small')
  assertAllDeliveredOnce(run_)
  const m = run_.summary.messages
  assert.ok(m.notOnlineAtSendLatencyMs.count >= 1, 'some messages were sent to a user who was offline')
  assert.ok((m.paths.mailbox ?? 0) >= 1, `paths ${JSON.stringify(m.paths)}: a mailbox carried a message`)
  assert.ok(
    run_.result.metrics.markers.some((k) => k.kind === 'relay-down' && k.to !== null),
    'the relay failed and came back',
  )
})
