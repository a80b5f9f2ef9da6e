/**
 * The relay's blob service, /wren/blob/1.0.0 (issue 16, offline path), in the libp2p service
 * shape: `blobService(init)` returns `(components) => BlobService`, a Startable that registers the
 * protocol. One length-prefixed request → one response per stream, on direct connections only.
 *
 * A sender puts the sealed chunks of a file (and its manifest) under random-looking ids with the
 * SHA-256 of a read and a delete token each; its recipient gets a blob with the read token and
 * deletes it with the delete token once the file is complete. Blobs expire after the TTL (7
 * days) and are swept. Each sender (a device PeerId) has a quota of blobs and bytes; the store
 * has a cap of its own. Every refusal is a status; the relay never sees plaintext, file keys or
 * who the recipient is.
 */
import type { PeerId, Startable, Stream, StreamHandler } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import {
  BLOB_PROTOCOL,
  BLOB_TTL_MS,
  MAX_BLOB_BYTES,
  MAX_BLOB_REQUEST_BYTES,
} from '../../core/src/blob/constants.ts'
import {
  BLOB_GET,
  BLOB_PUT,
  BLOB_STATUS_DENIED,
  BLOB_STATUS_EXISTS,
  BLOB_STATUS_INTERNAL,
  BLOB_STATUS_MALFORMED,
  BLOB_STATUS_NOT_FOUND,
  BLOB_STATUS_OK,
  BLOB_STATUS_QUOTA_BYTES,
  BLOB_STATUS_QUOTA_COUNT,
  BLOB_STATUS_RELAY_FULL,
  BLOB_STATUS_TOO_LARGE,
  type BlobRequest,
  type BlobResponse,
  blobStatusName,
  decodeBlobRequest,
  encodeBlobResponse,
} from '../../core/src/blob/wire.ts'
import { bytesEqual, toHex } from '../../core/src/bytes.ts'
import type { Clock, CryptoSuite } from '../../core/src/crypto/suite.ts'
import type { BlobLimits, BlobStore, PutResult } from './blob-store.ts'
import {
  BLOB_MAX_INBOUND_STREAMS,
  BLOB_PEER_LIMIT,
  BLOB_REQUEST_TIMEOUT_MS,
  DEFAULT_BLOB_SWEEP_INTERVAL_MS,
  DEFAULT_MAX_BLOB_BYTES_PER_SENDER,
  DEFAULT_MAX_BLOB_STORE_BYTES,
  DEFAULT_MAX_BLOBS_PER_SENDER,
} from './constants.ts'
import { type RelayLogger, silentLogger } from './logger.ts'
import type { RelayPeerGuard } from './peer-guard.ts'

export interface BlobServiceInit {
  store: BlobStore
  suite: CryptoSuite
  /** Defaults to Date.now; tests inject a manual clock (TTL). */
  clock?: Clock
  maxBytesPerSender?: number
  maxBlobsPerSender?: number
  maxStoreBytes?: number
  ttlMs?: number
  /** 0 disables the periodic sweep (call sweep() yourself). */
  sweepIntervalMs?: number
  requestTimeoutMs?: number
  logger?: RelayLogger
  /** The relay's peer guard: requests over BLOB_PEER_LIMIT and malformed frames cost strikes. */
  guard?: RelayPeerGuard
}

export interface BlobServiceComponents {
  registrar: {
    handle(protocol: string, handler: StreamHandler, options?: Record<string, unknown>): Promise<void>
    unhandle(protocol: string): Promise<void>
  }
}

export interface BlobService extends Startable {
  readonly limits: BlobLimits & { readonly ttlMs: number }
  /** Delete every blob whose TTL has passed (by the injected clock); returns how many. */
  sweep(): Promise<number>
}

const PUT_STATUS: Readonly<Record<PutResult, number>> = {
  ok: BLOB_STATUS_OK,
  exists: BLOB_STATUS_EXISTS,
  quota_bytes: BLOB_STATUS_QUOTA_BYTES,
  quota_count: BLOB_STATUS_QUOTA_COUNT,
  relay_full: BLOB_STATUS_RELAY_FULL,
}

const refuse = (status: number): BlobResponse => ({ status, data: new Uint8Array(0), expiresAt: 0 })

class DefaultBlobService implements BlobService {
  readonly limits: BlobLimits & { readonly ttlMs: number }
  readonly #components: BlobServiceComponents
  readonly #store: BlobStore
  readonly #suite: CryptoSuite
  readonly #clock: Clock
  readonly #sweepIntervalMs: number
  readonly #timeoutMs: number
  readonly #log: RelayLogger
  readonly #inFlight = new Set<Promise<void>>()
  #sweepTimer?: ReturnType<typeof setInterval>
  #sweeping?: Promise<number>
  #started = false
  readonly #guard: RelayPeerGuard | undefined

  constructor(components: BlobServiceComponents, init: BlobServiceInit) {
    this.#components = components
    this.#guard = init.guard
    this.#store = init.store
    this.#suite = init.suite
    this.#clock = init.clock ?? Date.now
    this.limits = Object.freeze({
      maxBytesPerSender: init.maxBytesPerSender ?? DEFAULT_MAX_BLOB_BYTES_PER_SENDER,
      maxBlobsPerSender: init.maxBlobsPerSender ?? DEFAULT_MAX_BLOBS_PER_SENDER,
      maxStoreBytes: init.maxStoreBytes ?? DEFAULT_MAX_BLOB_STORE_BYTES,
      ttlMs: init.ttlMs ?? BLOB_TTL_MS,
    })
    this.#sweepIntervalMs = init.sweepIntervalMs ?? DEFAULT_BLOB_SWEEP_INTERVAL_MS
    this.#timeoutMs = init.requestTimeoutMs ?? BLOB_REQUEST_TIMEOUT_MS
    this.#log = init.logger ?? silentLogger
  }

  readonly [Symbol.toStringTag] = '@wren/blob-service'

  async start(): Promise<void> {
    await this.#components.registrar.handle(
      BLOB_PROTOCOL,
      (stream, connection) => {
        const job = this.#handle(stream, connection.remotePeer).finally(() => this.#inFlight.delete(job))
        this.#inFlight.add(job)
      },
      { maxInboundStreams: BLOB_MAX_INBOUND_STREAMS, runOnLimitedConnection: false },
    )
    if (this.#sweepIntervalMs > 0) {
      this.#sweepTimer = setInterval(() => {
        this.sweep().catch((err) => this.#log.error('blob.sweep_failed', { err }))
      }, this.#sweepIntervalMs)
      this.#sweepTimer.unref()
    }
    this.#started = true
  }

  /** Stop taking requests and wait for the ones in flight. */
  async stop(): Promise<void> {
    this.#started = false
    if (this.#sweepTimer !== undefined) clearInterval(this.#sweepTimer)
    await this.#components.registrar.unhandle(BLOB_PROTOCOL)
    await Promise.allSettled([...this.#inFlight, this.#sweeping])
  }

  isStarted(): boolean {
    return this.#started
  }

  sweep(): Promise<number> {
    this.#sweeping ??= (async () => {
      let removed = 0
      for (const id of this.#store.expired(this.#clock())) if (await this.#store.delete(id)) removed++
      if (removed > 0) this.#log.info('blob.swept', { blobs: removed })
      return removed
    })().finally(() => {
      this.#sweeping = undefined
    })
    return this.#sweeping
  }

  async #handle(stream: Stream, peer: PeerId): Promise<void> {
    if (this.#guard !== undefined && !this.#guard.admit(BLOB_PROTOCOL, peer, BLOB_PEER_LIMIT)) {
      stream.abort(new Error('refused'))
      return
    }
    const signal = AbortSignal.timeout(this.#timeoutMs)
    const lp = lpStream(stream, { maxDataLength: MAX_BLOB_REQUEST_BYTES })
    try {
      let response: BlobResponse
      let request: BlobRequest | undefined
      try {
        request = decodeBlobRequest((await lp.read({ signal })).subarray())
      } catch (err) {
        const name = (err as Error)?.name
        if (name !== 'InvalidDataLengthError' && name !== 'DecodeError') throw err
        this.#guard?.malformed(BLOB_PROTOCOL, peer)
        response = refuse(name === 'DecodeError' ? BLOB_STATUS_MALFORMED : BLOB_STATUS_TOO_LARGE)
      }
      if (request !== undefined) {
        try {
          response = await this.#dispatch(request, peer)
        } catch (err) {
          this.#log.error('blob.request_failed', { kind: request.kind, err })
          response = refuse(BLOB_STATUS_INTERNAL)
        }
      }
      response ??= refuse(BLOB_STATUS_INTERNAL)
      if (response.status !== BLOB_STATUS_OK)
        this.#log.debug('blob.refused', { reason: blobStatusName(response.status) })
      await lp.write(encodeBlobResponse(response), { signal })
      await stream.close({ signal })
    } catch (err) {
      this.#log.debug('blob.stream_aborted', { err })
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  async #dispatch(request: BlobRequest, peer: PeerId): Promise<BlobResponse> {
    const idHex = toHex(request.blobId)
    const now = this.#clock()
    if (request.kind !== BLOB_PUT) {
      const found = await this.#store.get(idHex)
      if (found === undefined || found.meta.expiresAt <= now) return refuse(BLOB_STATUS_NOT_FOUND)
      const expected = request.kind === BLOB_GET ? found.meta.readTokenHash : found.meta.deleteTokenHash
      if (!bytesEqual(this.#suite.sha256(request.token), expected)) return refuse(BLOB_STATUS_DENIED)
      if (request.kind === BLOB_GET) return { status: BLOB_STATUS_OK, data: found.data, expiresAt: 0 }
      await this.#store.delete(idHex)
      return refuse(BLOB_STATUS_OK)
    }
    if (request.data.length > MAX_BLOB_BYTES) return refuse(BLOB_STATUS_TOO_LARGE)
    const expiresAt = now + this.limits.ttlMs
    const result = await this.#store.put(
      idHex,
      {
        expiresAt,
        readTokenHash: request.readTokenHash,
        deleteTokenHash: request.deleteTokenHash,
        senderHash: this.#suite.sha256(peer.toMultihash().bytes),
      },
      request.data,
      this.limits,
    )
    if (result !== 'ok') return refuse(PUT_STATUS[result])
    return { status: BLOB_STATUS_OK, data: new Uint8Array(0), expiresAt }
  }
}

export function blobService(init: BlobServiceInit): (components: BlobServiceComponents) => BlobService {
  return (components) => new DefaultBlobService(components, init)
}
