/**
 * One length-prefixed request → one length-prefixed response over a fresh libp2p stream, or
 * (a handler returning `{ frames }`) → several response frames written
 * back to back, each awaiting the stream's drain, and the stream's close as their end
 * (request-frames.ts reads them).
 *
 * The requester gets expected network outcomes as values (timeout, unreachable, refused,
 * protocol), never exceptions. The responder caps the request size, bounds the exchange with a
 * timeout, and closes (resets) the stream on any error, including an error thrown by the handler:
 * a bad request or a buggy handler never takes the node down. On a host with a peer guard
 * (peer-guard.ts), every request first takes a token from the peer's bucket for the protocol
 * (refused: the stream is reset unread), and a malformed, truncated or oversized request counts
 * against the peer.
 */

import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import { isPrivate, lpStream } from '@libp2p/utils'
import type { Multiaddr } from '@multiformats/multiaddr'
import { DecodeError } from '../../../core/src/errors.ts'
import {
  MAX_REQUEST_BYTES,
  MAX_RESPONSE_BYTES,
  REQUEST_TIMEOUT_MS,
  UPGRADE_DIAL_TIMEOUT_MS,
  UPGRADE_RETRY_MS,
} from './constants.ts'
import { PeerLimitError } from './errors.ts'
import { type PeerLimit, peerGuardOf } from './peer-guard.ts'

export type RequestFailure = 'timeout' | 'unreachable' | 'refused' | 'protocol'

export type RequestResult =
  | { ok: true; response: Uint8Array }
  | { ok: false; reason: RequestFailure; detail: string; error?: string }

export interface SendRequestOptions {
  /** Bound on the whole exchange: dial, protocol negotiation, write, read. */
  timeoutMs?: number
  /** A larger response is a protocol failure (checked from its length prefix, before reading it). */
  maxResponseBytes?: number
  /** Allow the exchange over a relayed (limited) connection; the responder must allow it too. */
  runOnLimitedConnection?: boolean
  signal?: AbortSignal
}

/** Dial errors that mean "the peer is there but will not talk this protocol". */
export const REFUSED_DIAL_ERRORS = new Set(['UnsupportedProtocolError', 'LimitedConnectionError'])
/** Mid-exchange errors that mean the responder closed or reset the stream without answering. */
export const REFUSED_STREAM_ERRORS = new Set([
  'StreamResetError',
  'StreamAbortedError',
  'UnexpectedEOFError',
  'StreamStateError',
  'ConnectionClosedError',
  'MuxerClosedError',
])

export async function sendRequest(
  libp2p: Libp2p,
  peer: PeerId | Multiaddr | Multiaddr[],
  protocol: string,
  request: Uint8Array,
  options: SendRequestOptions = {},
): Promise<RequestResult> {
  const signal = boundedSignal(options.signal, options.timeoutMs ?? REQUEST_TIMEOUT_MS)
  let stream: Stream
  try {
    const limited =
      options.runOnLimitedConnection === true ? await reusableLimitedConnection(libp2p, peer) : null
    stream =
      limited === null
        ? await libp2p.dialProtocol(peer, protocol, {
            signal,
            runOnLimitedConnection: options.runOnLimitedConnection ?? false,
          })
        : await limited.newStream(protocol, { signal, runOnLimitedConnection: true })
  } catch (err) {
    if (signal.aborted) return failure('timeout', 'dial did not complete in time')
    const name = errorName(err)
    if (REFUSED_DIAL_ERRORS.has(name)) return failure('refused', `${name}: ${errorMessage(err)}`, name)
    return failure('unreachable', `${name}: ${errorMessage(err)}`, name)
  }

  try {
    const lp = lpStream(stream, { maxDataLength: options.maxResponseBytes ?? MAX_RESPONSE_BYTES })
    await lp.write(request, { signal })
    await stream.close({ signal })
    const response = await lp.read({ signal })
    // copy into a plain Uint8Array: the list may hand back a Node Buffer from a shared pool
    return { ok: true, response: new Uint8Array(response.subarray()) }
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    if (signal.aborted) return failure('timeout', 'no response in time')
    const name = errorName(err)
    if (REFUSED_STREAM_ERRORS.has(name)) return failure('refused', `${name}: ${errorMessage(err)}`, name)
    return failure('protocol', `${name}: ${errorMessage(err)}`, name)
  }
}

export interface RequestContext {
  peerId: PeerId
  connection: Connection
  /** Aborted when the exchange's time is up; long handlers should give up then. */
  signal: AbortSignal
  /**
   * The request did not parse: it counts against the peer (a handler that answers a bad request
   * with a refusal calls this; one that throws core's DecodeError is counted without it).
   */
  malformed(): void
  /** The request asked for something that is not there for this peer: a lighter strike. */
  unwanted(): void
}

/**
 * Response frames streamed on the request's stream: each is written once the stream drained the
 * one before (back-pressure), each bounded by the exchange's timeout on its own.
 */
export interface ResponseFrames {
  readonly frames: AsyncIterable<Uint8Array>
}

export type RequestHandler = (
  request: Uint8Array,
  context: RequestContext,
) => Promise<Uint8Array | ResponseFrames>

export interface HandleRequestsOptions {
  /** A larger request is refused from its length prefix, before its body is read. */
  maxRequestBytes?: number
  /** Accept requests over relayed (limited) connections; the requester must ask for it too. */
  runOnLimitedConnection?: boolean
  /** Bound on reading the request, running the handler and writing the response. */
  timeoutMs?: number
  /**
   * Requests one peer may send on this protocol (a token bucket: what a real contact needs at
   * peak); DEFAULT_PEER_LIMIT when absent.
   */
  limit?: PeerLimit
  /** Called with every failed exchange (for logs and metrics); never throws into the node. */
  onError?: (err: unknown, context: { peerId: PeerId; protocol: string }) => void
}

/** Register a handler for `protocol`; undo with `libp2p.unhandle(protocol)`. */
export async function handleRequests(
  libp2p: Libp2p,
  protocol: string,
  handler: RequestHandler,
  options: HandleRequestsOptions = {},
): Promise<void> {
  const maxRequestBytes = options.maxRequestBytes ?? MAX_REQUEST_BYTES
  const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS
  const guard = peerGuardOf(libp2p)
  if (options.limit !== undefined) guard?.limit(protocol, options.limit)
  await libp2p.handle(
    protocol,
    async (stream, connection) => {
      const peerId = connection.remotePeer
      if (guard !== undefined && !guard.admit(protocol, peerId)) {
        stream.abort(new PeerLimitError(protocol))
        return
      }
      const signal = AbortSignal.timeout(timeoutMs)
      let counted = false
      const malformed = (): void => {
        if (counted) return
        counted = true
        guard?.malformed(protocol, peerId)
      }
      const unwanted = (): void => guard?.unwanted(protocol, peerId)
      try {
        const lp = lpStream(stream, { maxDataLength: maxRequestBytes })
        const request = await lp.read({ signal })
        const response = await raceSignal(
          handler(new Uint8Array(request.subarray()), { peerId, connection, signal, malformed, unwanted }),
          signal,
        )
        if (response instanceof Uint8Array) {
          await lp.write(response, { signal })
          await stream.close({ signal })
        } else {
          await writeFrames(lp, response.frames, timeoutMs)
          await stream.close({ signal: AbortSignal.timeout(timeoutMs) })
        }
      } catch (err) {
        if (isMalformed(err)) malformed()
        stream.abort(err instanceof Error ? err : new Error(String(err)))
        try {
          options.onError?.(err, { peerId: connection.remotePeer, protocol })
        } catch {
          // a faulty error callback must not escape into libp2p either
        }
      }
    },
    { runOnLimitedConnection: options.runOnLimitedConnection ?? false },
  )
}

/** Write every frame, each (its production and its write) bounded by `timeoutMs`. */
async function writeFrames(
  lp: ReturnType<typeof lpStream>,
  frames: AsyncIterable<Uint8Array>,
  timeoutMs: number,
): Promise<void> {
  const iterator = frames[Symbol.asyncIterator]()
  try {
    for (;;) {
      const signal = AbortSignal.timeout(timeoutMs)
      const next = await raceSignal(iterator.next(), signal)
      if (next.done === true) return
      await lp.write(next.value, { signal })
    }
  } finally {
    // a failed write leaves the producer suspended: let it end (it holds no stream)
    void iterator.return?.().catch(() => {})
  }
}

/** Errors that mean the peer sent a bad frame (not a slow or vanished one). */
const MALFORMED_FRAME_ERRORS = new Set([
  'InvalidDataLengthError', // a length prefix over the cap
  'InvalidDataLengthLengthError', // a length prefix that is no varint
  'InvalidMessageLengthError',
  'UnexpectedEOFError', // closed before the promised length arrived
])

export function isMalformed(err: unknown): boolean {
  return err instanceof DecodeError || (err instanceof Error && MALFORMED_FRAME_ERRORS.has(err.name))
}

function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(err)
      },
    )
  })
}

/**
 * libp2p's dial never reuses a limited (relayed) connection: every dial to a peer that has only
 * one opens a new circuit through the relay, with a new handshake. Reuse the open relayed
 * connection instead, unless the peer has an address that could give an unlimited connection
 * (a direct or /webrtc one): then dial, so a direct connection can replace the relayed one.
 */
/**
 * The open relayed (limited) connection to a peer we have no unlimited connection to, to carry
 * this request at once. When the peer also has a public direct address, that dial is started in
 * the background instead of in front of the request: it can take many seconds, or never succeed,
 * and the message should not wait for it (the next request uses the direct connection once it is
 * there).
 */
async function reusableLimitedConnection(
  libp2p: Libp2p,
  peer: PeerId | Multiaddr | Multiaddr[],
): Promise<Connection | null> {
  if (Array.isArray(peer) || !isPeerId(peer)) return null
  const open = libp2p.getConnections(peer).filter((c) => c.status === 'open')
  if (open.length === 0) return null
  // a direct connection is libp2p's own choice; an indirect one (a circuit, limited or not in
  // this node's view: the listening side of a circuit may carry no limits) is used as it is:
  // libp2p would dial again to try the peer's direct addresses first
  if (open.some((c) => c.direct)) return null
  const known = await libp2p.peerStore.get(peer).catch(() => null)
  // a public direct address only: a private address of the peer's own network leads nowhere from
  // here (on the same LAN, mDNS has connected us directly already), and a WebRTC attempt signals
  // over this very circuit (measured between two home NATs without STUN: a failing attempt broke
  // the circuit the messages were using). WebRTC is tried when a connection is first dialled
  // (libp2p's address order puts it before the plain circuit); DCUtR upgrades relayed TCP.
  const upgrades = (known?.addresses ?? [])
    .map((a) => a.multiaddr)
    .filter((a) => {
      const names = a.getComponents().map((c) => c.name)
      return !names.includes('p2p-circuit') && !names.includes('webrtc') && !isPrivate(a)
    })
  if (upgrades.length > 0) upgradeInBackground(libp2p, peer, upgrades)
  return open.find((c) => c.limits == null) ?? open[0] ?? null
}

/** Last background upgrade attempt per node and peer (ms since the epoch). */
const upgradeAttempts = new WeakMap<Libp2p, Map<string, number>>()

/** Dial the addresses that could give a direct connection (not the relayed ones: one is open). */
function upgradeInBackground(libp2p: Libp2p, peer: PeerId, addrs: Multiaddr[]): void {
  let attempts = upgradeAttempts.get(libp2p)
  if (attempts === undefined) {
    attempts = new Map()
    upgradeAttempts.set(libp2p, attempts)
  }
  const key = peer.toString()
  const now = Date.now()
  const last = attempts.get(key)
  if (last !== undefined && now - last < UPGRADE_RETRY_MS) return
  attempts.set(key, now)
  // bounded: the table only holds peers we hold a relayed connection to, pruned as they expire
  for (const [k, at] of attempts) if (now - at >= UPGRADE_RETRY_MS) attempts.delete(k)
  // every address ends with the peer's id (the peer store keeps them without it)
  const target = addrs.map((a) => {
    const last = a.getComponents().at(-1)
    return last?.name === 'p2p' && last.value === key ? a : a.encapsulate(`/p2p/${key}`)
  })
  void libp2p.dial(target, { signal: AbortSignal.timeout(UPGRADE_DIAL_TIMEOUT_MS) }).catch(() => {})
}

function isPeerId(peer: PeerId | Multiaddr): peer is PeerId {
  return typeof (peer as PeerId).toMultihash === 'function'
}

export function failure(
  reason: RequestFailure,
  detail: string,
  error?: string,
): Extract<RequestResult, { ok: false }> {
  return error === undefined ? { ok: false, reason, detail } : { ok: false, reason, detail, error }
}

export function boundedSignal(signal: AbortSignal | undefined, timeoutMs: number): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs)
  return signal == null ? timeout : AbortSignal.any([signal, timeout])
}

export function errorName(err: unknown): string {
  return err instanceof Error ? err.name : typeof err
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
