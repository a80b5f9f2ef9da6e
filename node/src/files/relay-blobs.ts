/**
 * The offline path's use of the relay replicas a pointer names (issue 16): upload a sealed file's
 * manifest and chunks to both, pull them back from either (a RemoteFile for download.ts), and
 * acknowledge — delete — them once the recipient holds the file.
 *
 * Blob ids and tokens come from each replica's seed (core/src/blob/caps.ts): slot i is chunk i,
 * the manifest's slot follows the last chunk. The uploader puts the manifest first, so a replica
 * without it holds nothing of the file (the acknowledgement relies on that).
 *
 * Expected network outcomes come back as values (uploads) or RunFailure (pulls); a relay that is
 * down, refuses or serves bytes that do not match the manifest is passed over for the other.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { blobCaps, manifestSlot } from '../../../core/src/blob/caps.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import { chunkMatches, readManifest } from '../../../core/src/file/chunks.ts'
import type { BlobReplica, FilePointer } from '../../../core/src/file/pointer.ts'
import { peerIdFromBytes } from '../messaging/peer-ids.ts'
import { BlobClient, FINAL_BLOB_REFUSALS } from './blob-client.ts'
import { BLOB_ATTEMPTS, BLOBS_IN_FLIGHT } from './constants.ts'
import { type DownloadDeps, type RemoteFile, RunFailure } from './download.ts'
import type { FileStore } from './file-store.ts'

export interface Replica {
  readonly relay: PeerId
  readonly seed: Uint8Array
  readonly client: BlobClient
}

export interface ReplicaDeps {
  readonly suite: CryptoSuite
  readonly libp2p: Libp2p
  readonly signal?: AbortSignal
}

function addrsOf(replica: BlobReplica): Multiaddr[] {
  const out: Multiaddr[] = []
  for (const bytes of replica.addrs) {
    try {
      out.push(multiaddr(bytes))
    } catch {
      // an address this node cannot parse: the others (or the peer store) may do
    }
  }
  return out
}

/** A client per replica the pointer names (those whose relay id does not parse are left out). */
export function replicasOf(deps: ReplicaDeps, pointer: FilePointer): Replica[] {
  const out: Replica[] = []
  for (const r of pointer.replicas) {
    let relay: PeerId
    try {
      relay = peerIdFromBytes(r.relayPeerId)
    } catch {
      continue
    }
    const client = new BlobClient({ ...deps, relay, addrs: addrsOf(r) })
    out.push({ relay, seed: r.capSeed, client })
  }
  return out
}

/**
 * Run `fn` over `items`, at most `limit` at once. After a rejection no new item starts; the call
 * settles once the ones in flight have, with the first rejection.
 */
export async function eachBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0
  let failed = false
  const worker = async () => {
    while (next < items.length && !failed) {
      const item = items[next++] as T
      try {
        await fn(item)
      } catch (error) {
        failed = true
        throw error
      }
    }
  }
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker))
  const rejected = results.find((r) => r.status === 'rejected')
  if (rejected !== undefined) throw (rejected as PromiseRejectedResult).reason
}

// ---- upload (the sender)

export type UploadOutcome =
  | { readonly ok: true }
  /** Try again later: a relay was unreachable or slow. */
  | { readonly ok: false; readonly retry: true; readonly reason: string }
  /** A relay refused for good (quota, full, too large): the offline path is off for this file. */
  | { readonly ok: false; readonly retry: false; readonly reason: string }

class UploadFailure extends Error {
  readonly outcome: UploadOutcome
  constructor(outcome: Exclude<UploadOutcome, { ok: true }>) {
    super(outcome.reason)
    this.outcome = outcome
  }
}

async function putOne(replica: Replica, suite: CryptoSuite, slot: number, data: Uint8Array): Promise<void> {
  let last = ''
  for (let attempt = 0; attempt < BLOB_ATTEMPTS; attempt++) {
    const res = await replica.client.put(blobCaps(suite, replica.seed, slot), data)
    // 'exists': stored by an earlier run of this upload (the ids are ours alone)
    if (res.ok || res.reason === 'exists') return
    const reason = `relay ${replica.relay.toString()} ${res.reason}`
    if (FINAL_BLOB_REFUSALS.has(res.reason)) throw new UploadFailure({ ok: false, retry: false, reason })
    last = reason
  }
  throw new UploadFailure({ ok: false, retry: true, reason: last })
}

/** Put the manifest, then every chunk, on every replica; `onStored` after each blob. */
export async function uploadToReplicas(
  deps: ReplicaDeps & { readonly signal: AbortSignal; readonly files: FileStore; onStored(): void },
  pointer: FilePointer,
  fileIdHex: string,
): Promise<UploadOutcome> {
  const replicas = replicasOf(deps, pointer)
  if (replicas.length !== pointer.replicas.length)
    return { ok: false, retry: false, reason: 'a replica relay id does not parse' }
  const manifest = await deps.files.manifest(fileIdHex)
  if (manifest === undefined) return { ok: false, retry: false, reason: 'the sealed file is gone' }
  const chunks = Array.from({ length: pointer.chunkCount }, (_, i) => i)
  // one replica failing ends the run: the other stops too (the next run resumes both)
  let failed = false
  const results = await Promise.allSettled(
    replicas.map(async (replica) => {
      try {
        await putOne(replica, deps.suite, manifestSlot(pointer.chunkCount), manifest)
        deps.onStored()
        await eachBounded(chunks, BLOBS_IN_FLIGHT, async (index) => {
          if (deps.signal.aborted) throw new UploadFailure({ ok: false, retry: false, reason: 'cancelled' })
          if (failed) throw new UploadFailure({ ok: false, retry: true, reason: 'the other replica failed' })
          const chunk = await deps.files.chunk(fileIdHex, index)
          if (chunk === undefined)
            throw new UploadFailure({ ok: false, retry: false, reason: `chunk ${index} is gone` })
          await putOne(replica, deps.suite, index, chunk)
          deps.onStored()
        })
      } catch (error) {
        failed = true
        throw error
      }
    }),
  )
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []))
  const other = failures.find((e) => !(e instanceof UploadFailure))
  if (other !== undefined) throw other
  const outcomes = failures.map((e) => (e as UploadFailure).outcome)
  // a refusal for good outweighs a network failure of the other replica
  return outcomes.find((o) => !o.ok && !o.retry) ?? outcomes[0] ?? { ok: true }
}

// ---- download (the recipient)

/**
 * The replicas as one remote file: each blob from the first replica that serves a copy matching
 * the manifest; a replica that fails on the network is tried last for the rest of the run.
 */
export function relayRemote(deps: DownloadDeps, pointer: FilePointer, replicas: Replica[]): RemoteFile {
  const order = [...replicas]
  const demote = (replica: Replica) => {
    const at = order.indexOf(replica)
    if (at >= 0 && at < order.length - 1) order.push(...order.splice(at, 1))
  }
  const fail = (what: string, reasons: string[]) =>
    new RunFailure({ ok: false, retry: true, reason: `${what} from no relay: ${reasons.join('; ')}` })
  return {
    async manifest() {
      const reasons: string[] = []
      for (const replica of [...order]) {
        const res = await replica.client.get(
          blobCaps(deps.suite, replica.seed, manifestSlot(pointer.chunkCount)),
        )
        if (!res.ok) {
          reasons.push(res.reason)
          demote(replica)
          continue
        }
        try {
          readManifest(deps.suite, pointer, pointer.manifestHash, res.value)
          return res.value
        } catch {
          reasons.push('manifest does not match the pointer')
          demote(replica)
        }
      }
      throw fail('the manifest', reasons)
    },
    async chunk(index, expected) {
      const reasons: string[] = []
      for (const replica of [...order]) {
        const res = await replica.client.get(blobCaps(deps.suite, replica.seed, index))
        if (res.ok && chunkMatches(deps.suite, expected, res.value)) return res.value
        if (res.ok) {
          deps.onRefused(index)
          reasons.push('a chunk that does not match the manifest')
        } else {
          reasons.push(res.reason)
          if (res.reason !== 'not_found') demote(replica)
        }
      }
      throw fail(`chunk ${index}`, reasons)
    },
  }
}

/**
 * The recipient's acknowledgement: delete every blob of the file on every replica. A replica
 * without the manifest holds nothing of it (the sender never uploaded there); failures are left
 * to the relay's TTL. Returns the blobs deleted.
 */
export async function ackReplicas(deps: ReplicaDeps, pointer: FilePointer): Promise<number> {
  let deleted = 0
  await Promise.all(
    replicasOf(deps, pointer).map(async (replica) => {
      const first = await replica.client.delete(
        blobCaps(deps.suite, replica.seed, manifestSlot(pointer.chunkCount)),
      )
      if (!first.ok && first.reason === 'not_found') return
      if (first.ok) deleted++
      const chunks = Array.from({ length: pointer.chunkCount }, (_, i) => i)
      await eachBounded(chunks, BLOBS_IN_FLIGHT, async (index) => {
        const res = await replica.client.delete(blobCaps(deps.suite, replica.seed, index))
        if (res.ok) deleted++
      })
    }),
  )
  return deleted
}
