/**
 * The one-relay layer of the blob protocol (/wren/blob/1.0.0, issue 16 offline path): put a
 * sealed chunk under its capabilities, get it with its read token, delete it with its delete
 * token. Choosing relays, replicas and fallbacks belongs to the layer above (offline-upload.ts,
 * relay-source.ts). Expected network outcomes and the relay's refusals come back as values,
 * never exceptions; every exchange is bounded by a timeout.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import { CODE_P2P, type Multiaddr } from '@multiformats/multiaddr'
import { type BlobCaps, tokenHash } from '../../../core/src/blob/caps.ts'
import { BLOB_PROTOCOL, MAX_BLOB_RESPONSE_BYTES } from '../../../core/src/blob/constants.ts'
import {
  BLOB_DELETE,
  BLOB_GET,
  BLOB_PUT,
  BLOB_STATUS_OK,
  type BlobRequest,
  type BlobResponse,
  blobStatusName,
  decodeBlobResponse,
  encodeBlobRequest,
} from '../../../core/src/blob/wire.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import { sendRequest } from '../p2p/request-response.ts'
import { BLOB_EXCHANGE_TIMEOUT_MS } from './constants.ts'

/**
 * Why a call failed: a network outcome ('timeout', 'unreachable', 'refused', 'protocol') or the
 * relay's refusal by status name ('not_found', 'denied', 'quota_bytes', 'quota_count',
 * 'relay_full', 'exists', 'too_large', 'malformed', 'internal').
 */
export type BlobResult<T> = { ok: true; value: T } | { ok: false; reason: string; detail?: string }

/** Refusals a later attempt will not change: the relay said no to this blob for good. */
export const FINAL_BLOB_REFUSALS: ReadonlySet<string> = new Set([
  'quota_bytes',
  'quota_count',
  'relay_full',
  'too_large',
  'malformed',
])

export interface BlobClientInit {
  readonly libp2p: Libp2p
  readonly suite: CryptoSuite
  readonly relay: PeerId
  /** Addresses to dial the relay on; otherwise the peer store or an open connection is used. */
  readonly addrs?: readonly Multiaddr[]
  readonly timeoutMs?: number
  readonly signal?: AbortSignal
}

export class BlobClient {
  readonly relay: PeerId
  readonly #init: BlobClientInit
  readonly #target: PeerId | Multiaddr[]

  constructor(init: BlobClientInit) {
    this.#init = init
    this.relay = init.relay
    const addrs = (init.addrs ?? []).map((a) =>
      a.getComponents().some((c) => c.code === CODE_P2P) ? a : a.encapsulate(`/p2p/${init.relay.toString()}`),
    )
    // an open connection to the relay is reused: libp2p dials a /p2p/ address only when there is none
    this.#target = addrs.length > 0 ? addrs : init.relay
  }

  /** Store one blob; the relay keeps only the hashes of its tokens. Value: when it expires. */
  async put(caps: BlobCaps, data: Uint8Array): Promise<BlobResult<number>> {
    const res = await this.#exchange({
      kind: BLOB_PUT,
      blobId: caps.blobId,
      readTokenHash: tokenHash(this.#init.suite, caps.readToken),
      deleteTokenHash: tokenHash(this.#init.suite, caps.deleteToken),
      data,
    })
    return res.ok ? { ok: true, value: res.value.expiresAt } : res
  }

  /** Fetch one blob (unchecked: the caller compares it with the manifest). */
  async get(caps: BlobCaps): Promise<BlobResult<Uint8Array>> {
    const res = await this.#exchange({ kind: BLOB_GET, blobId: caps.blobId, token: caps.readToken })
    return res.ok ? { ok: true, value: res.value.data } : res
  }

  /** Delete one blob (the recipient's acknowledgement); 'not_found' means it is gone already. */
  async delete(caps: BlobCaps): Promise<BlobResult<void>> {
    const res = await this.#exchange({ kind: BLOB_DELETE, blobId: caps.blobId, token: caps.deleteToken })
    return res.ok ? { ok: true, value: undefined } : res
  }

  async #exchange(request: BlobRequest): Promise<BlobResult<BlobResponse>> {
    const result = await sendRequest(
      this.#init.libp2p,
      this.#target,
      BLOB_PROTOCOL,
      encodeBlobRequest(request),
      {
        timeoutMs: this.#init.timeoutMs ?? BLOB_EXCHANGE_TIMEOUT_MS,
        maxResponseBytes: MAX_BLOB_RESPONSE_BYTES,
        ...(this.#init.signal !== undefined ? { signal: this.#init.signal } : {}),
      },
    )
    if (!result.ok) return { ok: false, reason: result.reason, detail: result.detail }
    let response: BlobResponse
    try {
      response = decodeBlobResponse(result.response)
    } catch (err) {
      return { ok: false, reason: 'protocol', detail: (err as Error).message }
    }
    if (response.status !== BLOB_STATUS_OK) return { ok: false, reason: blobStatusName(response.status) }
    return { ok: true, value: response }
  }
}
