/**
 * Runs one scenario in this process: relays, then users (real runtimes), contacts, bundle
 * publishing, measured DHT lookups, then the seeded event schedule in real time, a drain phase,
 * the duplicate check over every recipient's history, and a clean stop of everything.
 */
import { parseContactCard } from '../../core/src/contact-card.ts'
import { createNodeSuite } from '../../node/src/crypto/node-suite.ts'
import { directConversationId, isDirectConversationId } from '../../node/src/messaging/conversation-id.ts'
import { getBundle } from '../../node/src/p2p/dht-records.ts'
import type { EventPayload } from '../../node/src/rpc/api.ts'
import { makeRunRoot, type NodeLinks, removeRunRoot, SimRelay, SimUser } from './harness.ts'
import { linkModelOf } from './link-model.ts'
import { SimNetwork } from './link-transport.ts'
import { type MessagePath, Metrics, type NodeTraffic, type RelayLoad } from './metrics.ts'
import { type Faults, GaterFaults, LinkFaults } from './network.ts'
import { mailboxCountOf, type Scenario } from './scenario.ts'
import { buildPlan, type GroupPlan, type Plan, type SimEvent } from './schedule.ts'

/** Bound on waiting for every user's first successful bundle publish. */
export const PUBLISH_WAIT_MS = 30_000
/** Bound on one measured DHT lookup (the messenger's own lookups use BUNDLE_LOOKUP_TIMEOUT_MS). */
export const LOOKUP_TIMEOUT_MS = 10_000
/** Lookups in flight at once: a 2-core machine serves every DHT peer of the run. */
const LOOKUP_CONCURRENCY = 8
/** CPU / memory / connection sampling period. */
const SAMPLE_INTERVAL_MS = 1_000
/** Poll period while draining outstanding deliveries. */
const DRAIN_POLL_MS = 200
/** Users stopped in parallel at the end. */
const STOP_CONCURRENCY = 8
/** Messages read per history page in the duplicate check. */
const HISTORY_PAGE = 500
/** Bound on creating one group: invitations out, every invitee accepted, every member converged. */
export const GROUP_SETUP_TIMEOUT_MS = 60_000
/** Poll period while a group forms. */
const GROUP_POLL_MS = 100

export type Phase =
  | 'relays'
  | 'users'
  | 'contacts'
  | 'publish'
  | 'lookups'
  | 'groups'
  | 'schedule'
  | 'drain'
  | 'check'
  | 'stop'

export type TransportMode = Scenario['transport']

export interface RunOptions {
  seed: number
  /** Overrides the scenario's transport. */
  transport?: TransportMode
  /** Progress of the current phase (done of total). */
  onProgress?: (phase: Phase, done: number, total: number) => void
}

export interface RunResult {
  scenario: Scenario
  /** The transport the run used. */
  transport: TransportMode
  plan: Plan
  metrics: Metrics
  startedAt: string
  wallMs: number
  phaseMs: Record<string, number>
  notes: string[]
  /** Per planned group: formed (every member joined and converged) and how long it took. */
  groupSetup: Array<{ group: number; size: number; members: number; ok: boolean; ms: number }>
}

async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T
      await fn(item)
    }
  })
  await Promise.all(workers)
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)))

async function scrapeRelay(relay: SimRelay): Promise<RelayLoad> {
  const load: RelayLoad = {
    relay: relay.index,
    deposits: 0,
    fetches: 0,
    registrations: 0,
    prekeysClaimed: 0,
    connections: 0,
    storedEnvelopes: 0,
  }
  const url = relay.metricsUrl
  if (url === undefined) return load
  const text = await fetch(url, { signal: AbortSignal.timeout(5_000) })
    .then((r) => r.text())
    .catch(() => '')
  const value = (name: string) => {
    let sum = 0
    for (const line of text.split('\n')) {
      if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.split(' ').pop())
    }
    return sum
  }
  load.deposits = value('wren_relay_mailbox_deposits_total')
  load.fetches = value('wren_relay_mailbox_fetches_total')
  load.registrations = value('wren_relay_mailbox_registrations_total')
  load.prekeysClaimed = value('wren_relay_mailbox_prekeys_claimed_total')
  load.connections = value('wren_relay_connections')
  load.storedEnvelopes = value('wren_relay_mailbox_stored_envelopes')
  return load
}

/**
 * Form one planned group with the real group service: the owner creates it with the others as
 * invitees (contacts both ways first), each invitee accepts once its invitation arrives, and the
 * group counts as formed when every member holds the full member list. Bounded by
 * GROUP_SETUP_TIMEOUT_MS; returns who became a member.
 */
async function formGroup(
  group: GroupPlan,
  users: readonly SimUser[],
  suite: ReturnType<typeof createNodeSuite>,
): Promise<{ ok: boolean; ms: number; members: number[]; conversationId: string | null }> {
  const t0 = performance.now()
  const deadline = t0 + GROUP_SETUP_TIMEOUT_MS
  const owner = users[group.owner] as SimUser
  const ownerRt = owner.runtime
  if (ownerRt === null) return { ok: false, ms: 0, members: [], conversationId: null }
  const invitees = group.members.filter((u) => u !== group.owner)
  await pool(invitees, 8, async (u) => {
    const member = users[u] as SimUser
    await ownerRt.messenger.addContact(parseContactCard(suite, member.card), undefined)
    await member.runtime?.messenger.addContact(parseContactCard(suite, owner.card), undefined)
  })
  const created = await ownerRt.groups.create(
    `sim group ${group.index}`,
    invitees.map((u) => users[u]?.runtime?.messenger.userId ?? ''),
  )
  const { groupId, conversationId } = created
  const accepted = new Set<number>()
  const joined = () =>
    group.members.filter((u) => users[u]?.runtime?.groups.group(groupId)?.record.status === 'member')
  for (;;) {
    for (const u of invitees) {
      if (accepted.has(u)) continue
      const rt = users[u]?.runtime
      if (rt?.groups.group(groupId)?.record.status !== 'invited') continue
      accepted.add(u)
      // a refused accept (state moved meanwhile) is tried again on the next poll
      await rt.groups.accept(groupId).catch(() => accepted.delete(u))
    }
    const members = joined()
    const converged =
      members.length === group.members.length &&
      members.every(
        (u) => users[u]?.runtime?.groups.group(groupId)?.log.state.members.length === group.members.length,
      )
    if (converged) return { ok: true, ms: Math.round(performance.now() - t0), members, conversationId }
    if (performance.now() > deadline)
      return { ok: false, ms: Math.round(performance.now() - t0), members, conversationId }
    await sleep(GROUP_POLL_MS)
  }
}

export async function runScenario(scenario: Scenario, options: RunOptions): Promise<RunResult> {
  const progress = options.onProgress ?? (() => {})
  const plan = buildPlan(scenario, options.seed)
  const notes: string[] = []
  const startedAt = new Date().toISOString()
  const wallStart = performance.now()
  const phaseMs: Record<string, number> = {}
  let phaseStart = performance.now()
  const endPhase = (name: string) => {
    phaseMs[name] = Math.round(performance.now() - phaseStart)
    phaseStart = performance.now()
  }

  const suite = createNodeSuite()
  const root = await makeRunRoot()
  const transport = options.transport ?? scenario.transport
  const relays: SimRelay[] = []
  const users: SimUser[] = []
  let metrics = new Metrics(performance.now())
  // memory: one simulated network, partitions cut at the link level; tcp: a gater per host
  const network =
    transport === 'memory'
      ? new SimNetwork({ seed: `${options.seed}`, link: linkModelOf(scenario.network, `${options.seed}`) })
      : null
  const gaterFaults = network === null ? new GaterFaults() : null
  const faults: Faults = network !== null ? new LinkFaults(network) : (gaterFaults as GaterFaults)
  const links: NodeLinks =
    network !== null
      ? { kind: 'memory', network }
      : { kind: 'tcp', host: '127.0.0.1', gater: (self) => (gaterFaults as GaterFaults).gater(self) }
  const onHost = (libp2p: Parameters<GaterFaults['attach']>[0]) => gaterFaults?.attach(libp2p)
  /** Bytes per node from the memory network (null on TCP: not measured). */
  const traffic = (): NodeTraffic | null => {
    if (network === null) return null
    const t = network.traffic()
    const of = (peerId: string) => t.get(peerId) ?? { sent: 0, received: 0 }
    return {
      users: users.map((u) => ({ node: u.index, ...of(u.peerId) })),
      relays: relays.map((r) => ({ node: r.index, ...of(r.peerId) })),
    }
  }

  const pathOf = (receiver: number, sender: number): MessagePath => {
    const host = users[receiver]?.runtime?.libp2p
    const senderPeer = users[sender]?.peerId
    if (host === undefined || senderPeer === undefined) return 'unknown'
    const conns = host.getConnections().filter((c) => c.remotePeer.toString() === senderPeer)
    if (conns.some((c) => c.limits === undefined)) return 'direct'
    if (conns.length > 0) return 'relayed'
    return 'unknown'
  }
  const userIndexById = new Map<string, number>()

  const sampler = setInterval(() => {
    const cpu = process.cpuUsage()
    const mem = process.memoryUsage()
    metrics.samples.push({
      t: Math.round(metrics.now()),
      cpuUserMs: Math.round(cpu.user / 1000),
      cpuSystemMs: Math.round(cpu.system / 1000),
      rssMiB: Math.round(mem.rss / 2 ** 20),
      heapMiB: Math.round(mem.heapUsed / 2 ** 20),
      online: users.filter((u) => u.online).length,
      connections: users.reduce((n, u) => n + (u.runtime?.libp2p.getConnections().length ?? 0), 0),
    })
  }, SAMPLE_INTERVAL_MS)
  sampler.unref()

  try {
    // ---- relays (each bootstraps to the ones started before it)
    for (let i = 0; i < scenario.relays.count; i++) {
      progress('relays', i, scenario.relays.count)
      relays.push(
        await SimRelay.create(
          i,
          root,
          () => relays.filter((r) => r.index !== i).map((r) => r.addr),
          onHost,
          links,
        ),
      )
    }
    progress('relays', relays.length, scenario.relays.count)
    endPhase('relays')

    // ---- users
    const mailboxCount = mailboxCountOf(scenario)
    const bootstrap = () => relays.filter((r) => r.online).map((r) => r.addr)
    const indices = Array.from({ length: plan.users }, (_, i) => i)
    let started = 0
    const created: Array<SimUser | undefined> = new Array(plan.users)
    await pool(indices, scenario.users.startConcurrency, async (index) => {
      created[index] = await SimUser.create({
        index,
        suite,
        root,
        bootstrap,
        retry: scenario.retry,
        mailboxes:
          mailboxCount === 0
            ? null
            : {
                relays: () => relays.map((r) => r.addr),
                count: mailboxCount,
                fetchIntervalMs: scenario.mailboxes.fetchIntervalMs,
              },
        onHost,
        links,
        onEvent: (user, event, payload) => {
          if (event === 'message.received') {
            const p = payload as EventPayload<'message.received'>
            if (!isDirectConversationId(p.message.conversationId)) {
              metrics.groupReceived(user, p.message.id, p.via ?? 'unknown')
              return
            }
            // the node says how it arrived; inference only for an event without `via`
            if (p.via !== undefined) {
              metrics.received(user, p, p.via, true)
              return
            }
            const sender = userIndexById.get(p.message.sender)
            metrics.received(user, p, sender === undefined ? 'unknown' : pathOf(user, sender), false)
          } else if (event === 'message.status') {
            const p = payload as EventPayload<'message.status'>
            if (isDirectConversationId(p.conversationId)) metrics.status(p.messageId, p.status)
          }
        },
      })
      progress('users', ++started, plan.users)
    })
    for (const user of created) if (user !== undefined) users.push(user)
    for (const user of users) {
      const rt = user.runtime
      if (rt !== null) userIndexById.set(rt.messenger.userId, user.index)
    }
    endPhase('users')

    // ---- contacts (both ways, from the cards)
    let added = 0
    await pool(plan.contacts, 8, async ([a, b]) => {
      const ua = users[a] as SimUser
      const ub = users[b] as SimUser
      await ua.runtime?.messenger.addContact(parseContactCard(suite, ub.card), undefined)
      await ub.runtime?.messenger.addContact(parseContactCard(suite, ua.card), undefined)
      progress('contacts', ++added, plan.contacts.length)
    })
    endPhase('contacts')

    // ---- wait for bundles to be in the DHT
    const publishDeadline = performance.now() + PUBLISH_WAIT_MS
    for (;;) {
      const done = users.filter((u) => u.runtime?.libp2p.services.publisher.lastResult?.ok === true).length
      progress('publish', done, users.length)
      if (done === users.length || performance.now() > publishDeadline) break
      // nudge the ones that failed (publisher retries on its own only every REPUBLISH_RETRY_MS)
      for (const u of users) {
        const last = u.runtime?.libp2p.services.publisher.lastResult
        if (last !== undefined && !last.ok) void u.runtime?.libp2p.services.publisher.publish()
      }
      await sleep(500)
    }
    for (const u of users) {
      const last = u.runtime?.libp2p.services.publisher.lastResult
      metrics.publishes.push({
        user: u.index,
        ok: last?.ok === true,
        peers: last?.ok === true ? last.peers : 0,
        reason: last === undefined ? 'not finished' : last.ok ? null : last.reason,
      })
    }
    endPhase('publish')

    // ---- measured DHT bundle lookups (real kad-dht queries through the runtime's host)
    let looked = 0
    await pool(plan.lookups, LOOKUP_CONCURRENCY, async ([from, to]) => {
      const rt = users[from]?.runtime
      const target = users[to]?.runtime
      if (rt === null || rt === undefined || target === null || target === undefined) return
      const t = performance.now()
      const result = await getBundle(rt.libp2p, target.userId, { timeoutMs: LOOKUP_TIMEOUT_MS }).catch(
        (error: unknown) => ({ ok: false as const, reason: (error as Error)?.name ?? 'error' }),
      )
      metrics.lookups.push({
        from,
        to,
        ok: result.ok,
        ms: Math.round(performance.now() - t),
        reason: result.ok ? null : result.reason,
      })
      progress('lookups', ++looked, plan.lookups.length)
    })
    endPhase('lookups')

    // ---- groups: create, invite, accept, converge (before the schedule starts)
    const groupSetup: RunResult['groupSetup'] = []
    const groupConversation = new Map<number, string>()
    const groupMembers = new Map<number, number[]>()
    let formed = 0
    for (const group of plan.groups) {
      const setup = await formGroup(group, users, suite)
      groupSetup.push({
        group: group.index,
        size: group.members.length,
        members: setup.members.length,
        ok: setup.ok,
        ms: setup.ms,
      })
      if (setup.conversationId !== null) groupConversation.set(group.index, setup.conversationId)
      groupMembers.set(group.index, setup.members)
      if (!setup.ok)
        notes.push(
          `group ${group.index}: ${setup.members.length}/${group.members.length} members formed within ${GROUP_SETUP_TIMEOUT_MS} ms`,
        )
      progress('groups', ++formed, plan.groups.length)
    }
    endPhase('groups')

    // ---- the schedule, in real time from here
    const lookups = metrics.lookups
    const publishes = metrics.publishes
    metrics = new Metrics(performance.now())
    const trafficAtSchedule = traffic()
    metrics.lookups.push(...lookups)
    metrics.publishes.push(...publishes)
    const pending: Promise<void>[] = []
    const offline = new Set<number>()
    const talked = new Set<string>()
    const partitionSide = new Set<number>()
    const openMarkers = new Map<string, number>()
    const recordOffline = () =>
      metrics.offlineTimeline.push({ t: Math.round(metrics.now()), offline: offline.size })
    recordOffline()
    const track = (what: string, p: Promise<void>) => {
      pending.push(
        p.catch((error: unknown) => {
          metrics.errors.push({
            t: Math.round(metrics.now()),
            what,
            error: String((error as Error)?.message ?? error),
          })
        }),
      )
    }
    const perform = (event: SimEvent) => {
      switch (event.type) {
        case 'send': {
          const sender = users[event.from] as SimUser
          const recipient = users[event.to] as SimUser
          const pairKey = event.from < event.to ? `${event.from}:${event.to}` : `${event.to}:${event.from}`
          const sideOk = !faults.partitioned || partitionSide.has(event.from) === partitionSide.has(event.to)
          const record = metrics.planned({
            id: event.id,
            from: event.from,
            to: event.to,
            at: event.t,
            skipped: sender.runtime === null ? 'sender offline' : null,
            pairOnlineAtSend: sender.online && recipient.online && sideOk,
            firstInPair: !talked.has(pairKey),
          })
          talked.add(pairKey)
          const rt = sender.runtime
          if (rt === null) return
          record.calledAt = metrics.now()
          const conversation = directConversationId(userIdOf(recipient))
          track(
            `send ${event.id}`,
            rt.messenger.sendText(conversation, `sim message ${event.id}`).then((message) => {
              metrics.sent(record, message.id, metrics.now())
            }),
          )
          return
        }
        case 'offline':
          offline.add(event.user)
          recordOffline()
          track(`offline ${event.user}`, (users[event.user] as SimUser).stop())
          return
        case 'online':
          offline.delete(event.user)
          recordOffline()
          track(`online ${event.user}`, (users[event.user] as SimUser).start())
          return
        case 'relay-down':
          openMarkers.set(`relay${event.relay}`, metrics.markers.length)
          metrics.markers.push({
            kind: 'relay-down',
            label: `relay ${event.relay} down`,
            from: event.t,
            to: null,
          })
          track(`relay-down ${event.relay}`, (relays[event.relay] as SimRelay).stop())
          return
        case 'relay-up': {
          const m = metrics.markers[openMarkers.get(`relay${event.relay}`) ?? -1]
          if (m !== undefined) m.to = event.t
          track(`relay-up ${event.relay}`, (relays[event.relay] as SimRelay).start())
          return
        }
        case 'partition': {
          partitionSide.clear()
          for (const u of event.users) partitionSide.add(u)
          openMarkers.set(`p${event.index}`, metrics.markers.length)
          metrics.markers.push({
            kind: 'partition',
            label: `partition ${event.index} (${event.users.length} users)`,
            from: event.t,
            to: null,
          })
          const minority = [
            ...event.users.map((u) => (users[u] as SimUser).peerId),
            ...event.relays.map((r) => (relays[r] as SimRelay).peerId),
          ]
          track(`partition ${event.index}`, faults.split(minority))
          return
        }
        case 'group-send': {
          const sender = users[event.from] as SimUser
          const conversationId = groupConversation.get(event.group)
          const members = groupMembers.get(event.group) ?? []
          const record = metrics.plannedGroup({
            id: event.id,
            group: event.group,
            from: event.from,
            at: event.t,
            skipped:
              sender.runtime === null
                ? 'sender offline'
                : conversationId === undefined || !members.includes(event.from)
                  ? 'sender not a member (group did not form)'
                  : null,
            calledAt: null,
            messageId: null,
            recipients: members.filter((u) => u !== event.from),
          })
          const rt = sender.runtime
          if (record.skipped !== null || rt === null || conversationId === undefined) return
          record.calledAt = metrics.now()
          track(
            `group-send ${event.id}`,
            rt.groups.messages.send(conversationId, `sim group message ${event.id}`).then((message) => {
              metrics.groupSent(record, message.id)
            }),
          )
          return
        }
        case 'heal': {
          const m = metrics.markers[openMarkers.get(`p${event.index}`) ?? -1]
          if (m !== undefined) m.to = event.t
          partitionSide.clear()
          faults.heal()
          return
        }
      }
    }
    const userIds = users.map((u) => u.runtime?.messenger.userId ?? '')
    function userIdOf(user: SimUser): string {
      return userIds[user.index] as string
    }
    let done = 0
    for (const event of plan.events) {
      await sleep(event.t - metrics.now())
      perform(event)
      progress('schedule', ++done, plan.events.length)
    }
    await Promise.all(pending)
    endPhase('schedule')

    // ---- drain: wait for what is still on its way
    const drainEnd = performance.now() + scenario.drainMs
    const sendable =
      metrics.messages.filter((m) => m.skipped === null).length +
      metrics.groupMessages.reduce((n, m) => n + (m.skipped === null ? m.recipients.length : 0), 0)
    const missing = () => metrics.outstanding() + metrics.groupOutstanding()
    while (missing() > 0 && performance.now() < drainEnd) {
      progress('drain', sendable - missing(), sendable)
      await sleep(DRAIN_POLL_MS)
    }
    progress('drain', sendable - missing(), sendable)
    endPhase('drain')
    const trafficAtEnd = traffic()
    if (trafficAtEnd !== null && trafficAtSchedule !== null) {
      const since = (now: NodeTraffic['users'], before: NodeTraffic['users']) =>
        now.map((n, i) => ({
          node: n.node,
          sent: n.sent - (before[i]?.sent ?? 0),
          received: n.received - (before[i]?.received ?? 0),
        }))
      metrics.traffic = {
        total: trafficAtEnd,
        schedule: {
          users: since(trafficAtEnd.users, trafficAtSchedule.users),
          relays: since(trafficAtEnd.relays, trafficAtSchedule.relays),
        },
      }
    }

    // ---- what users see: copies of each message in the recipient's history
    const byRecipient = new Map<number, Map<string, number>>()
    let checked = 0
    await pool(users, 4, async (user) => {
      const rt = user.runtime
      if (rt === null) return
      const counts = new Map<string, number>()
      const conversations = new Set((await rt.vault.listConversations()).map((c) => c.id))
      for (const g of rt.groups.list()) conversations.add(g.conversationId)
      for (const conversationId of conversations) {
        let before: number | undefined
        for (;;) {
          const page = await rt.vault.listMessages(conversationId, before, HISTORY_PAGE)
          for (const m of page.messages)
            if (m.direction === 'in') counts.set(m.id, (counts.get(m.id) ?? 0) + 1)
          if (!page.hasMore || page.messages.length === 0) break
          before = page.messages[0]?.seq
        }
      }
      byRecipient.set(user.index, counts)
      progress('check', ++checked, users.length)
    })
    for (const m of metrics.messages) {
      if (m.messageId === null) continue
      m.copiesInHistory = byRecipient.get(m.to)?.get(m.messageId) ?? 0
    }
    for (const m of metrics.groupMessages) {
      if (m.messageId === null) continue
      for (const u of m.recipients) m.copiesInHistory[u] = byRecipient.get(u)?.get(m.messageId) ?? 0
    }
    metrics.finalizePaths()
    metrics.relayLoad = await Promise.all(relays.map(scrapeRelay))
    metrics.mailboxesAtEnd = users.map((u) => u.mailboxes)
    endPhase('check')

    const shaped =
      scenario.network.latencyMs > 0 ||
      scenario.network.jitterMs > 0 ||
      scenario.network.loss > 0 ||
      scenario.network.perLink !== undefined
    if (transport === 'tcp' && shaped)
      notes.push(
        'network latency/loss are not applied on TCP loopback (run on the memory transport or in the netns mode)',
      )
    return {
      scenario,
      transport,
      plan,
      metrics,
      startedAt,
      wallMs: Math.round(performance.now() - wallStart),
      phaseMs,
      notes,
      groupSetup,
    }
  } finally {
    clearInterval(sampler)
    let stopped = 0
    await pool(users, STOP_CONCURRENCY, async (user) => {
      await user.close().catch(() => {})
      progress('stop', ++stopped, users.length + relays.length)
    })
    for (const relay of relays) {
      await relay.stop().catch(() => {})
      progress('stop', ++stopped, users.length + relays.length)
    }
    await removeRunRoot(root)
  }
}
