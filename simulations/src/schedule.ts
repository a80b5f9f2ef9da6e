/**
 * The seeded plan of a run: who knows whom, which bundle lookups are measured, and a time-ordered
 * list of events (sends, users going offline/online, relays failing, partitions). Pure: the same
 * scenario and seed always give the same plan, whatever the machine.
 */
import { seededFloat } from '../../test/fixtures/seeded-random.ts'
import type { Scenario } from './scenario.ts'

export type SimEvent =
  | { t: number; type: 'send'; id: number; from: number; to: number }
  | { t: number; type: 'offline'; user: number }
  | { t: number; type: 'online'; user: number }
  | { t: number; type: 'relay-down'; relay: number }
  | { t: number; type: 'relay-up'; relay: number }
  | { t: number; type: 'partition'; index: number; users: number[]; relays: number[] }
  | { t: number; type: 'heal'; index: number }
  | { t: number; type: 'group-send'; group: number; id: number; from: number }

/** One planned group: its members (the owner first) and how many messages it carries. */
export interface GroupPlan {
  readonly index: number
  readonly owner: number
  /** Every member, the owner first. */
  readonly members: number[]
}

export interface Plan {
  readonly seed: number
  readonly users: number
  readonly relays: number
  /** Undirected contact pairs [a, b] with a < b. */
  readonly contacts: Array<[number, number]>
  /** Bundle lookups measured before the schedule: [looker, looked-up]. */
  readonly lookups: Array<[number, number]>
  readonly groups: GroupPlan[]
  readonly events: SimEvent[]
}

/** Event order at equal times: heal and online before sends, so a send at the same ms sees them. */
const TYPE_ORDER: Record<SimEvent['type'], number> = {
  heal: 0,
  'relay-up': 1,
  online: 2,
  partition: 3,
  'relay-down': 4,
  offline: 5,
  send: 6,
  'group-send': 7,
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)] as T
}

/** k distinct items in a seeded order (partial Fisher-Yates). */
function sample<T>(rand: () => number, items: readonly T[], k: number): T[] {
  const copy = [...items]
  const n = Math.min(k, copy.length)
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rand() * (copy.length - i))
    ;[copy[i], copy[j]] = [copy[j] as T, copy[i] as T]
  }
  return copy.slice(0, n)
}

export function buildPlan(scenario: Scenario, seed: number): Plan {
  const rand = seededFloat(`${scenario.name}:${seed}`)
  const n = scenario.users.count
  const userIds = Array.from({ length: n }, (_, i) => i)

  const pairs = new Set<string>()
  const contacts: Array<[number, number]> = []
  const addPair = (a: number, b: number) => {
    const [lo, hi] = a < b ? [a, b] : [b, a]
    const key = `${lo}:${hi}`
    if (lo === hi || pairs.has(key)) return
    pairs.add(key)
    contacts.push([lo, hi])
  }
  if (scenario.contacts.perUser === 'all') {
    for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) addPair(a, b)
  } else {
    for (let a = 0; a < n; a++) {
      const others = userIds.filter((u) => u !== a)
      for (const b of sample(rand, others, scenario.contacts.perUser)) addPair(a, b)
    }
  }
  const neighbours: number[][] = userIds.map(() => [])
  for (const [a, b] of contacts) {
    neighbours[a]?.push(b)
    neighbours[b]?.push(a)
  }

  const lookups: Array<[number, number]> = []
  for (let a = 0; a < n; a++) {
    for (const b of sample(rand, neighbours[a] ?? [], scenario.lookupsPerUser)) lookups.push([a, b])
  }

  const events: SimEvent[] = []
  for (let id = 0; id < scenario.messages.count; id++) {
    const [a, b] = pick(rand, contacts)
    const forward = rand() < 0.5
    events.push({
      t: Math.floor(rand() * scenario.durationMs),
      type: 'send',
      id,
      from: forward ? a : b,
      to: forward ? b : a,
    })
  }

  if (scenario.churn !== undefined) {
    const { fraction, intervalMs, offlineMs } = scenario.churn
    const offlineUntil = new Array<number>(n).fill(-1)
    for (let t = intervalMs; t < scenario.durationMs; t += intervalMs) {
      const candidates = userIds.filter((u) => (offlineUntil[u] as number) <= t)
      for (const user of sample(rand, candidates, Math.round(fraction * n))) {
        offlineUntil[user] = t + offlineMs
        events.push({ t, type: 'offline', user })
        events.push({ t: t + offlineMs, type: 'online', user })
      }
    }
  }

  for (const failure of scenario.relays.failures) {
    if (failure.relay >= scenario.relays.count) continue
    events.push({ t: failure.atMs, type: 'relay-down', relay: failure.relay })
    events.push({ t: failure.atMs + failure.downMs, type: 'relay-up', relay: failure.relay })
  }

  scenario.partitions.forEach((partition, index) => {
    const users = sample(rand, userIds, Math.round(partition.fraction * n)).sort((x, y) => x - y)
    // rounded like the users: 30% of 3 relays puts one relay on the minority side
    const relayCount = Math.round(partition.fraction * scenario.relays.count)
    const relays = Array.from({ length: relayCount }, (_, i) => i)
    events.push({ t: partition.atMs, type: 'partition', index, users, relays })
    events.push({ t: partition.atMs + partition.durationMs, type: 'heal', index })
  })

  // groups draw from their own stream: adding a group leaves the rest of a seed's plan unchanged
  const groupRand = seededFloat(`${scenario.name}:${seed}:groups`)
  const groups: GroupPlan[] = []
  let groupMessageId = 0
  scenario.groups.forEach((spec, index) => {
    const members = sample(groupRand, userIds, spec.size)
    groups.push({ index, owner: members[0] as number, members })
    for (let k = 0; k < spec.messages; k++) {
      events.push({
        t: Math.floor(groupRand() * scenario.durationMs),
        type: 'group-send',
        group: index,
        id: groupMessageId++,
        from: pick(groupRand, members),
      })
    }
  })

  events.sort((x, y) => x.t - y.t || TYPE_ORDER[x.type] - TYPE_ORDER[y.type])
  return { seed, users: n, relays: scenario.relays.count, contacts, lookups, groups, events }
}
