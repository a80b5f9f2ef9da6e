/**
 * Plays the seeded event schedule in real time: 1:1 and group sends through the real messenger
 * and group service, users going offline and back, relays going down and up, partitions and
 * heals. Each event is recorded in the run's metrics when it happens; the operations it starts
 * (a send, a stop, a start) are awaited at the end, and a failure is recorded as an error.
 */
import { directConversationId } from '../../../node/src/messaging/conversation-id.ts'
import type { SimRelay, SimUser } from '../harness.ts'
import { Metrics } from '../metrics.ts'
import type { SimEvent } from '../schedule.ts'
import type { FormedGroups } from './group-setup.ts'
import { sleep } from './pool.ts'
import type { RunState } from './run-state.ts'

/**
 * Fresh metrics whose clock starts now (times in the report are ms since the schedule started),
 * keeping the lookups and publishes measured before.
 */
export function restartMetricsClock(state: RunState): void {
  const before = state.metrics
  state.metrics = new Metrics(performance.now())
  state.metrics.lookups.push(...before.lookups)
  state.metrics.publishes.push(...before.publishes)
}

export async function playSchedule(state: RunState, groups: FormedGroups): Promise<void> {
  const { plan, users, relays, progress } = state
  const faults = state.links.faults
  const metrics = state.metrics
  const pending: Promise<void>[] = []
  const offline = new Set<number>()
  const talked = new Set<string>()
  const partitionSide = new Set<number>()
  const openMarkers = new Map<string, number>()
  const userIds = users.map((u) => u.runtime?.messenger.userId ?? '')
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
        const conversation = directConversationId(userIds[recipient.index] as string)
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
        const conversationId = groups.conversation.get(event.group)
        const members = groups.members.get(event.group) ?? []
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
  let done = 0
  for (const event of plan.events) {
    await sleep(event.t - metrics.now(), state.signal)
    if (state.signal.aborted) break
    perform(event)
    progress('schedule', ++done, plan.events.length)
  }
  await Promise.all(pending)
}
