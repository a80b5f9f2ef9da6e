/**
 * Messages that arrive while the profile is locked (issue 19). Locking stops the node and drops
 * the keys; a small host takes its place on the same PeerId and ports and serves /wren/msg only.
 * Each envelope it accepts is sealed to the locked queue's public key (core/src/locked-queue.ts)
 * and written to a file of its own under `<profile>/locked-inbox/` (0600, folder 0700) before
 * the sender gets DELIVERY_OK, so the sender stops retrying and nothing is lost. The daemon keeps
 * the queue's public key and the network key while locked, nothing that opens the store or a
 * session. After unlock the node replays the queue through the mailbox path (the envelopes are
 * opened, decrypted and stored as if fetched from a relay, and delivery receipts go back), then
 * deletes the files.
 *
 * Limits: the queue holds at most MAX_LOCKED_INBOX_ITEMS items and MAX_LOCKED_INBOX_BYTES; past
 * that the host answers DELIVERY_UNAVAILABLE and the sender keeps the message (retry, mailboxes).
 * Each peer is held to the messenger's /wren/msg limit by the peer guard. Known limits: only
 * senders that reach this device directly (or over a relayed connection they set up) use it;
 * the host takes no relay reservation and fetches no mailbox (that needs the device key), so mail
 * at the relays waits there until unlock; after a daemon restart the profile is locked with no
 * network key in memory, so the device stays offline until unlock, as before.
 */
import { mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import type { Libp2p } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { toHex } from '../../../core/src/bytes.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import {
  lockedQueueKeyPair,
  MAX_LOCKED_QUEUE_ITEM_BYTES,
  openLockedQueueItem,
  sealToLockedQueue,
} from '../../../core/src/locked-queue.ts'
import { DELIVERY_TIMEOUT_MS, MSG_PEER_LIMIT } from '../messaging/constants.ts'
import {
  DELIVERY_OK,
  DELIVERY_UNAVAILABLE,
  decodeDeliveryRequest,
  encodeDeliveryResponse,
  MAX_DELIVERY_BATCH,
  MAX_DELIVERY_REQUEST_BYTES,
} from '../messaging/content.ts'
import { WREN_MSG_PROTOCOL } from '../p2p/constants.ts'
import { PeerGuard } from '../p2p/peer-guard.ts'
import { handleRequests } from '../p2p/request-response.ts'

/** Folder of the queue inside the profile folder. */
export const LOCKED_INBOX_DIR = 'locked-inbox'
/** Items kept while locked: a long weekend of a busy chat; past it senders keep their messages. */
export const MAX_LOCKED_INBOX_ITEMS = 10_000
/** Bytes kept while locked (envelopes are padded to ≤ 64 KiB buckets; most are 1 KiB). */
export const MAX_LOCKED_INBOX_BYTES = 64 * 1024 * 1024
/** Digits of an item's sequence number in its file name, so names sort in arrival order. */
const SEQ_DIGITS = 12
/** Random bytes after the sequence number: two daemons on one profile never share a name. */
const NAME_RANDOM_BYTES = 8
const FILE_MODE = 0o600
const DIR_MODE = 0o700

interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  debug(msg: string, fields?: Record<string, unknown>): void
}

export interface LockedHostInit {
  readonly suite: CryptoSuite
  /** The node's libp2p private key (protobuf bytes): the same PeerId contacts dial. */
  readonly libp2pPrivateKey: Uint8Array
  /** TCP addresses the node listened on (its ports), without /p2p. */
  readonly listen: readonly string[]
  readonly queuePublicKey: Uint8Array
  /** The profile folder. */
  readonly profileDir: string
  readonly log: Logger
}

export interface LockedHost {
  /** Items written since the host started. */
  readonly accepted: () => number
  stop(): Promise<void>
}

function queueDir(profileDir: string): string {
  return join(profileDir, LOCKED_INBOX_DIR)
}

async function queued(dir: string): Promise<{ names: string[]; bytes: number }> {
  const names = (await readdir(dir).catch(() => [] as string[]))
    .filter((n) => /^\d+-[0-9a-f]+$/.test(n))
    .sort()
  let bytes = 0
  for (const name of names) bytes += (await stat(join(dir, name)).catch(() => ({ size: 0 }))).size
  return { names, bytes }
}

/** The TCP listen addresses of a running node, as the locked host listens on them. */
export function lockedListenAddrs(addrs: readonly { toString(): string }[]): string[] {
  const out = new Set<string>()
  for (const addr of addrs) {
    const text = addr.toString()
    if (!text.includes('/tcp/') || /\/(ws|wss|p2p-circuit|webrtc|webrtc-direct|quic-v1|tls)(\/|$)/.test(text))
      continue
    out.add(text.replace(/\/p2p\/[^/]+$/, ''))
  }
  return [...out]
}

/** Start the host that keeps messages while locked. */
export async function startLockedHost(init: LockedHostInit): Promise<LockedHost> {
  const dir = queueDir(init.profileDir)
  await mkdir(dir, { recursive: true, mode: DIR_MODE })
  const existing = await queued(dir)
  let items = existing.names.length
  let bytes = existing.bytes
  let seq =
    existing.names.length === 0 ? 0 : Number.parseInt(existing.names.at(-1)?.split('-')[0] ?? '0', 10) + 1
  let accepted = 0
  const guard = new PeerGuard()
  const host: Libp2p<{ peerGuard: PeerGuard }> = await createLibp2p({
    privateKey: privateKeyFromProtobuf(init.libp2pPrivateKey),
    addresses: { listen: init.listen.map((a) => multiaddr(a).toString()) },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: guard.gater(),
    services: { peerGuard: () => guard },
  })
  guard.attach(async (peer) => {
    await host.hangUp(peer)
  })
  await handleRequests(
    host,
    WREN_MSG_PROTOCOL,
    async (request, ctx) => {
      let envelopes: Uint8Array[]
      try {
        envelopes = decodeDeliveryRequest(request)
      } catch (error) {
        ctx.malformed()
        throw error
      }
      const statuses: number[] = []
      for (const envelope of envelopes) {
        const item = sealToLockedQueue(init.suite, init.queuePublicKey, envelope)
        if (items >= MAX_LOCKED_INBOX_ITEMS || bytes + item.length > MAX_LOCKED_INBOX_BYTES) {
          statuses.push(DELIVERY_UNAVAILABLE)
          continue
        }
        const name = `${String(seq++).padStart(SEQ_DIGITS, '0')}-${toHex(init.suite.randomBytes(NAME_RANDOM_BYTES))}`
        const file = await open(join(dir, name), 'wx', FILE_MODE)
        try {
          await file.writeFile(item)
          await file.sync()
        } finally {
          await file.close()
        }
        items++
        bytes += item.length
        accepted++
        statuses.push(DELIVERY_OK)
      }
      return encodeDeliveryResponse(statuses)
    },
    {
      maxRequestBytes: MAX_DELIVERY_REQUEST_BYTES,
      runOnLimitedConnection: true,
      timeoutMs: DELIVERY_TIMEOUT_MS,
      limit: MSG_PEER_LIMIT,
      onError: (err) => init.log.debug('locked delivery failed', { error: (err as Error)?.name }),
    },
  )
  init.log.info('keeping messages while locked', { listen: host.getMultiaddrs().length, queued: items })
  return {
    accepted: () => accepted,
    async stop() {
      await host.stop()
    },
  }
}

/**
 * After unlock: open every queued item in arrival order, hand the envelopes to `deliver` (the
 * messenger's mailbox path) in batches, then delete their files. Items that do not open are
 * deleted and counted. Returns the number of envelopes delivered.
 */
export async function drainLockedInbox(init: {
  readonly suite: CryptoSuite
  readonly deviceKeySeed: Uint8Array
  readonly profileDir: string
  readonly deliver: (envelopes: Uint8Array[]) => Promise<unknown>
  readonly log: Logger
}): Promise<number> {
  const dir = queueDir(init.profileDir)
  const { names } = await queued(dir)
  if (names.length === 0) return 0
  const queue = lockedQueueKeyPair(init.suite, init.deviceKeySeed)
  let delivered = 0
  let unreadable = 0
  for (let i = 0; i < names.length; i += MAX_DELIVERY_BATCH) {
    const batch = names.slice(i, i + MAX_DELIVERY_BATCH)
    const envelopes: Uint8Array[] = []
    for (const name of batch) {
      try {
        const item = await readFile(join(dir, name))
        if (item.length > MAX_LOCKED_QUEUE_ITEM_BYTES) throw new RangeError('item too large')
        envelopes.push(openLockedQueueItem(init.suite, queue, item))
      } catch (error) {
        unreadable++
        init.log.warn('locked queue item dropped', { error: (error as Error)?.name })
      }
    }
    if (envelopes.length > 0) await init.deliver(envelopes)
    delivered += envelopes.length
    await Promise.all(batch.map((name) => rm(join(dir, name), { force: true })))
  }
  init.log.info('messages kept while locked delivered', { delivered, unreadable })
  return delivered
}
