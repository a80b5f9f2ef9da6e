/**
 * TURN for calls from the node's relays (issue 15, "NAT"): asks each configured relay for a
 * credential over /wren/turn/1.0.0 (relay-node/src/turn-service.ts) and hands the media owner
 * the ICE servers. Credentials are cached per relay until TURN_REFRESH_MARGIN_MS before they
 * expire; a refusal or failure is a value (logged, that relay left out), and a relay is not asked
 * again before its retry time. No third-party STUN or TURN: only the user's relays.
 */
import type { Libp2p } from '@libp2p/interface'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { MAX_TURN_RESPONSE_BYTES, TURN_PROTOCOL } from '../../../core/src/turn/constants.ts'
import {
  decodeTurnResponse,
  encodeTurnRequest,
  TURN_STATUS_OK,
  type TurnCredential,
  turnStatusName,
} from '../../../core/src/turn/wire.ts'
import { sendRequest } from '../p2p/request-response.ts'
import { TURN_FETCH_TIMEOUT_MS, TURN_REFRESH_MARGIN_MS, TURN_RETRY_MS } from './constants.ts'
import type { CallLogger } from './types.ts'

/** One entry of RTCConfiguration.iceServers. */
export interface IceServer {
  readonly urls: readonly string[]
  readonly username: string
  readonly credential: string
}

export type TurnFetchResult =
  | { readonly ok: true; readonly credential: TurnCredential }
  | { readonly ok: false; readonly reason: string; readonly retryAfterMs: number }

/** Ask one relay (its multiaddrs, with /p2p/) for a TURN credential. */
export async function fetchTurnCredential(
  libp2p: Libp2p,
  addrs: Multiaddr[],
  timeoutMs = TURN_FETCH_TIMEOUT_MS,
): Promise<TurnFetchResult> {
  const result = await sendRequest(libp2p, addrs, TURN_PROTOCOL, encodeTurnRequest(), {
    timeoutMs,
    maxResponseBytes: MAX_TURN_RESPONSE_BYTES,
  })
  if (!result.ok) return { ok: false, reason: result.reason, retryAfterMs: TURN_RETRY_MS }
  try {
    const response = decodeTurnResponse(result.response)
    if (response.status === TURN_STATUS_OK && 'username' in response)
      return { ok: true, credential: response }
    const retryAfterMs =
      'retryAfterMs' in response && response.retryAfterMs > 0 ? response.retryAfterMs : TURN_RETRY_MS
    return { ok: false, reason: turnStatusName(response.status), retryAfterMs }
  } catch {
    return { ok: false, reason: 'malformed', retryAfterMs: TURN_RETRY_MS }
  }
}

export interface TurnCredentialsInit {
  readonly libp2p: Libp2p
  /** The node's relays (multiaddrs ending in /p2p/<id>). */
  readonly relays: readonly string[]
  readonly now: () => number
  readonly log: CallLogger
  readonly timeoutMs?: number
}

interface RelayEntry {
  readonly addrs: Multiaddr[]
  credential: TurnCredential | null
  retryAt: number
  inFlight: Promise<void> | null
}

export class TurnCredentials {
  readonly #init: TurnCredentialsInit
  readonly #relays = new Map<string, RelayEntry>()

  constructor(init: TurnCredentialsInit) {
    this.#init = init
    for (const text of init.relays) {
      let addr: Multiaddr
      try {
        addr = multiaddr(text)
      } catch {
        continue
      }
      const peer = addr.getComponents().findLast((c) => c.name === 'p2p')?.value
      if (peer === undefined) continue
      const entry = this.#relays.get(peer) ?? { addrs: [], credential: null, retryAt: 0, inFlight: null }
      entry.addrs.push(addr)
      this.#relays.set(peer, entry)
    }
  }

  #fresh(entry: RelayEntry): boolean {
    const c = entry.credential
    return c !== null && c.expiresAtS * 1000 - this.#init.now() > TURN_REFRESH_MARGIN_MS
  }

  #refresh(peer: string, entry: RelayEntry): Promise<void> {
    if (this.#fresh(entry) || this.#init.now() < entry.retryAt) return Promise.resolve()
    entry.inFlight ??= fetchTurnCredential(this.#init.libp2p, entry.addrs, this.#init.timeoutMs)
      .then((r) => {
        if (r.ok) {
          entry.credential = r.credential
          this.#init.log.info('turn credential', { relay: peer, urls: r.credential.urls.length })
        } else {
          entry.retryAt = this.#init.now() + r.retryAfterMs
          this.#init.log.info('no turn credential', { relay: peer, reason: r.reason })
        }
      })
      .finally(() => {
        entry.inFlight = null
      })
    return entry.inFlight
  }

  /** Start asking the relays now (a call starts or rings); never throws. */
  prefetch(): void {
    for (const [peer, entry] of this.#relays) void this.#refresh(peer, entry)
  }

  /** ICE servers from every relay that gave a credential (waits for the asks in flight, bounded). */
  async iceServers(): Promise<IceServer[]> {
    await Promise.all([...this.#relays].map(([peer, entry]) => this.#refresh(peer, entry)))
    const out: IceServer[] = []
    for (const entry of this.#relays.values()) {
      const c = entry.credential
      if (c !== null && c.expiresAtS * 1000 > this.#init.now())
        out.push({ urls: c.urls, username: c.username, credential: c.password })
    }
    return out
  }
}
