/**
 * One ephemeral room in this process: searching (provide + find providers of the code's
 * rendezvous key on the LAN and WAN DHTs, which the relays serve) → found (a room stream to the
 * other person, dialled or accepted) → the core RoomSession (key setup, connected) → destroyed.
 * A second stream while a session exists is refused with ROOM FULL; an unused code expires.
 * Nothing is written anywhere: the host's datastore is in memory, nothing is logged, and on the
 * way out the session wipes its keys and the host stops.
 */
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Libp2p, PeerId, PeerInfo, Stream } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'
import { lpStream } from '@libp2p/utils'
import { MAX_ROOM_FRAME_BYTES } from '../../../core/src/room/constants.ts'
import { lvCat } from '../../../core/src/room/cpace.ts'
import type { RoomState } from '../../../core/src/room/machine.ts'
import {
  type DestroyReason,
  type RoomEvent,
  RoomInputError,
  RoomSession,
} from '../../../core/src/room/session.ts'
import { createNodeSuite } from '../crypto/node-suite.ts'
import { dhtPeerCount } from '../p2p/dht-records.ts'
import type { WrenServices } from '../p2p/host.ts'
import {
  KEY_SETUP_TIMEOUT_MS,
  RELAY_RESERVATION_WAIT_MS,
  RENDEZVOUS_QUERY_TIMEOUT_MS,
  RENDEZVOUS_RETRY_MS,
  ROOM_CODE_EXPIRY_MS,
  ROOM_DIAL_TIMEOUT_MS,
  WREN_ROOM_PROTOCOL,
} from './constants.ts'
import { createRoomHost } from './room-host.ts'
import { deriveRoomSecrets, type RoomSecrets } from './room-secrets.ts'

export type RoomNodeEvent =
  | { readonly type: 'state'; readonly state: RoomState }
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'notice'; readonly text: string }
  | { readonly type: 'ended'; readonly reason: DestroyReason; readonly detail: string }

export interface RoomInit {
  /** The normalised code (core/src/room/code.ts). */
  readonly code: string
  /** Relay / bootstrap multiaddrs (with /p2p/…) the host dials. */
  readonly bootstrap: readonly string[]
  readonly expiryMs?: number
  /** Precomputed secrets instead of the code's slow hash (tests: an impostor with mismatched halves). */
  readonly secrets?: RoomSecrets
  readonly onEvent: (event: RoomNodeEvent) => void
}

type Host = Libp2p<WrenServices>

export class Room {
  readonly #init: RoomInit
  readonly #search = new AbortController()
  #host: Host | null = null
  #secrets: RoomSecrets | null = null
  #searching = true
  #session: RoomSession | null = null
  #stream: Stream | null = null
  #writes: Promise<void> = Promise.resolve()
  #timer: NodeJS.Timeout | null = null
  #ended: Promise<void> | null = null
  readonly #done = Promise.withResolvers<DestroyReason>()

  constructor(init: RoomInit) {
    this.#init = init
  }

  /** Resolves with the reason once the room has ended and the host stopped. */
  get finished(): Promise<DestroyReason> {
    return this.#done.promise
  }

  async open(): Promise<void> {
    this.#emit({ type: 'state', state: 'searching' })
    this.#secrets = this.#init.secrets ?? (await deriveRoomSecrets(this.#init.code))
    if (this.#ended !== null) return // quit during the slow hash
    const host = await createRoomHost(this.#init.bootstrap)
    if (this.#ended !== null) {
      await quietly(() => host.stop())
      return
    }
    this.#host = host
    await host.handle(
      WREN_ROOM_PROTOCOL,
      (stream, connection) => this.#inbound(stream, connection.remotePeer),
      {
        runOnLimitedConnection: true,
      },
    )
    const expiry = this.#init.expiryMs ?? ROOM_CODE_EXPIRY_MS
    this.#timer = setTimeout(
      () => void this.#end('expired', `nobody joined within ${duration(expiry)}: the code expired`),
      expiry,
    )
    void this.#searchLoop(host, this.#secrets).catch(() => {})
  }

  /** Send one line; a refusal (too long, too fast, not connected) comes back as a notice. */
  send(text: string): void {
    const refused = this.trySend(text)
    if (refused !== null) this.#emit({ type: 'notice', text: refused })
  }

  /** Send one line: null when it left, else why it was refused (too long, too fast, not connected). */
  trySend(text: string): string | null {
    const session = this.#session
    if (session === null || session.state !== 'connected') return 'not connected yet: the line was not sent'
    try {
      this.#write(session.send(text))
      return null
    } catch (err) {
      if (!(err instanceof RoomInputError)) throw err
      return err.message
    }
  }

  /**
   * /quit: goodbye to the other side when connected, keys wiped, host stopped. A daemon ending its
   * rooms (lock, stop, a room that could not start) says why in `detail`.
   */
  async quit(detail = 'you left the room', reason: DestroyReason = 'quit'): Promise<void> {
    if (this.#session !== null) this.#apply(this.#session.quit())
    await this.#end(reason, detail)
  }

  async #searchLoop(host: Host, secrets: RoomSecrets): Promise<void> {
    const signal = this.#search.signal
    if (this.#init.bootstrap.length > 0) await waitForRelay(host, signal)
    let provided = false
    while (this.#searching && !signal.aborted) {
      const own = host.peerId.toString()
      for (const provider of await findProviders(host, secrets, signal)) {
        if (!this.#searching) return
        // two providers who find each other: only the smaller id dials, so one stream results
        if (provided && own > provider.id.toString()) continue
        const stream = await dialRoom(host, provider, signal)
        if (stream === null) continue
        if (!this.#searching) {
          await stream.close().catch(() => {})
          return
        }
        this.#begin('initiator', stream, provider.id)
        return
      }
      if (!provided && this.#searching) {
        await provide(host, secrets, signal)
        provided = true
      }
      await sleep(RENDEZVOUS_RETRY_MS, undefined, { signal }).catch(() => {})
    }
  }

  #inbound(stream: Stream, remote: PeerId): void {
    if (!this.#searching || this.#ended !== null) {
      // a third person (or a late duplicate): told, then closed; the session is not touched
      const lp = lpStream(stream, { maxDataLength: MAX_ROOM_FRAME_BYTES })
      void lp
        .write(RoomSession.roomFullFrame(), { signal: AbortSignal.timeout(ROOM_DIAL_TIMEOUT_MS) })
        .then(() => stream.close())
        .catch(() => stream.abort(new Error('room full')))
      this.#emit({ type: 'notice', text: 'someone else tried to join: refused (a room holds two people)' })
      return
    }
    this.#begin('responder', stream, remote)
  }

  #begin(role: 'initiator' | 'responder', stream: Stream, remote: PeerId): void {
    const host = this.#host as Host
    const secrets = this.#secrets as RoomSecrets
    this.#searching = false
    this.#search.abort()
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = setTimeout(
      () => void this.#end('transport', 'key setup took too long: the connection is not working'),
      KEY_SETUP_TIMEOUT_MS,
    )
    this.#emit({ type: 'state', state: 'found' })
    const [initiator, responder] = role === 'initiator' ? [host.peerId, remote] : [remote, host.peerId]
    this.#session = new RoomSession({
      suite: createNodeSuite(),
      random: (n) => new Uint8Array(randomBytes(n)),
      clock: Date.now,
      role,
      prs: secrets.prs,
      channelId: lvCat(initiator.toMultihash().bytes, responder.toMultihash().bytes),
    })
    secrets.prs.fill(0) // the session holds its own copy
    this.#stream = stream
    this.#apply(this.#session.start())
    void this.#readLoop(stream)
  }

  async #readLoop(stream: Stream): Promise<void> {
    const lp = lpStream(stream, { maxDataLength: MAX_ROOM_FRAME_BYTES })
    try {
      for (;;) {
        const frame = await lp.read()
        const session = this.#session
        if (session === null || this.#ended !== null) return
        this.#apply(session.receive(frame.subarray()))
      }
    } catch (err) {
      if (this.#ended !== null) return
      const session = this.#session
      if (session?.state === 'destroyed') return
      const oversized = (err as Error).name === 'InvalidDataLengthError'
      const reason: DestroyReason = oversized ? 'protocol' : 'peer-left'
      const detail = oversized
        ? 'an oversized frame arrived'
        : session?.state === 'connected'
          ? 'the other side is gone (connection closed)'
          : 'the connection closed during key setup'
      this.#apply(session?.destroy(reason, detail) ?? [])
    }
  }

  #apply(events: RoomEvent[]): void {
    for (const event of events) {
      if (event.type === 'send') this.#write(event.frame)
      else if (event.type === 'text') this.#emit({ type: 'text', text: event.text })
      else if (event.type === 'state') {
        if (event.state === 'connected' && this.#timer !== null) clearTimeout(this.#timer)
        if (event.state !== 'destroyed') this.#emit({ type: 'state', state: event.state })
      } else if (event.type === 'destroyed') void this.#end(event.reason, event.detail)
    }
  }

  #write(frame: Uint8Array): void {
    const stream = this.#stream
    if (stream === null) return
    const lp = lpStream(stream, { maxDataLength: MAX_ROOM_FRAME_BYTES })
    this.#writes = this.#writes
      .then(() => lp.write(frame, { signal: AbortSignal.timeout(ROOM_DIAL_TIMEOUT_MS) }))
      .catch(() => {})
  }

  #end(reason: DestroyReason, detail: string): Promise<void> {
    this.#ended ??= (async () => {
      this.#searching = false
      this.#search.abort()
      if (this.#timer !== null) clearTimeout(this.#timer)
      this.#session?.destroy(reason, detail)
      this.#secrets?.prs.fill(0)
      // the last frames (BYE, ABORT) go out before the stream closes, within a bound
      await Promise.race([this.#writes, sleep(ROOM_DIAL_TIMEOUT_MS, undefined, { ref: false })])
      await quietly(() => this.#stream?.close())
      await quietly(() => this.#host?.stop())
      this.#emit({ type: 'state', state: 'destroyed' })
      this.#emit({ type: 'ended', reason, detail })
      this.#done.resolve(reason)
    })()
    return this.#ended
  }

  #emit(event: RoomNodeEvent): void {
    this.#init.onEvent(event)
  }
}

function duration(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`
}

/** Run a shutdown step, ignoring its failure (the peer or the host may be gone already). */
async function quietly(step: () => unknown): Promise<void> {
  try {
    await step()
  } catch {
    // nothing to do: we are leaving
  }
}

/**
 * Our /p2p-circuit address, so the provider record carries a path through the relay, and a peer
 * in a DHT's routing table, so the first queries have somewhere to go (bounded).
 */
async function waitForRelay(host: Host, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + RELAY_RESERVATION_WAIT_MS
  while (Date.now() < deadline && !signal.aborted) {
    const circuit = host.getMultiaddrs().some((ma) => ma.toString().includes('/p2p-circuit'))
    if (circuit && dhts(host).length > 0) return
    await sleep(RESERVATION_POLL_MS, undefined, { signal }).catch(() => {})
  }
}

/**
 * The DHTs with a peer in their routing table: kad-dht holds a query until it has one (up to the
 * timeout), and on one machine or a LAN the WAN DHT stays empty (it keeps public addresses only).
 */
function dhts(host: Host): KadDHT[] {
  return [host.services.lanDht, host.services.dht].filter((dht) => dhtPeerCount(dht) > 0)
}

/** How often the reservation wait looks at our addresses (cheap: a list of multiaddrs). */
const RESERVATION_POLL_MS = 100

async function provide(host: Host, secrets: RoomSecrets, signal: AbortSignal): Promise<void> {
  await Promise.allSettled(
    dhts(host).map(async (dht) => {
      const bounded = AbortSignal.any([signal, AbortSignal.timeout(RENDEZVOUS_QUERY_TIMEOUT_MS)])
      for await (const _ of dht.provide(secrets.rendezvous, { signal: bounded })) {
        // drain: the query runs as it is iterated
      }
    }),
  )
}

async function findProviders(host: Host, secrets: RoomSecrets, signal: AbortSignal): Promise<PeerInfo[]> {
  const found = new Map<string, PeerInfo>()
  await Promise.allSettled(
    dhts(host).map(async (dht) => {
      const bounded = AbortSignal.any([signal, AbortSignal.timeout(RENDEZVOUS_QUERY_TIMEOUT_MS)])
      for await (const event of dht.findProviders(secrets.rendezvous, { signal: bounded })) {
        if (event.name !== 'PROVIDER') continue
        for (const p of event.providers) {
          if (p.id.equals(host.peerId)) continue
          const known = found.get(p.id.toString())
          found.set(p.id.toString(), {
            id: p.id,
            multiaddrs: [...(known?.multiaddrs ?? []), ...p.multiaddrs],
          })
        }
      }
    }),
  )
  return [...found.values()]
}

async function dialRoom(host: Host, provider: PeerInfo, signal: AbortSignal): Promise<Stream | null> {
  try {
    if (provider.multiaddrs.length > 0)
      await host.peerStore.merge(provider.id, { multiaddrs: provider.multiaddrs })
    return await host.dialProtocol(provider.id, WREN_ROOM_PROTOCOL, {
      signal: AbortSignal.any([signal, AbortSignal.timeout(ROOM_DIAL_TIMEOUT_MS)]),
      runOnLimitedConnection: true,
    })
  } catch {
    return null
  }
}
