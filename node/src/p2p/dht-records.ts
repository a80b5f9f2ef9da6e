/**
 * Prekey bundles in the DHT: the Wren bundle namespace, its kad-dht validator and selector built
 * from injected functions (the messaging layer plugs in core's decode/verify), and bounded put/get
 * helpers that return expected network outcomes as values.
 *
 * Key layout: utf8('/wren-bundle/') ‖ userId (16 raw bytes). kad-dht picks the validator by the
 * text between the first two '/' of the key decoded as UTF-8, so raw id bytes after the prefix
 * (even 0x2f or invalid UTF-8) never change the namespace.
 */

import type { Libp2p } from '@libp2p/interface'
import type { KadDHT, SelectFn, Selectors, ValidateFn, Validators } from '@libp2p/kad-dht'
import { bundleRecordKey, userIdOfBundleRecordKey } from '../../../core/src/bundle-record.ts'
import {
  BUNDLE_LOOKUP_QUORUM,
  BUNDLE_NAMESPACE,
  DHT_GET_TIMEOUT_MS,
  DHT_PUT_TIMEOUT_MS,
  MAX_BUNDLE_RECORD_BYTES,
} from './constants.ts'
import { InvalidRecordError, StaleRecordError } from './errors.ts'

/** Throws (any error) when the value is not a valid bundle for the key. */
export type ValidateBundleRecord = (key: Uint8Array, value: Uint8Array) => Promise<void>
/** Index of the newest of several valid bundles for one key (ties: the lowest index). */
export type SelectNewestBundle = (key: Uint8Array, values: Uint8Array[]) => number

export interface BundleRecordRules {
  validateBundleRecord: ValidateBundleRecord
  selectNewestBundle: SelectNewestBundle
}

/**
 * A libp2p node that runs our WAN DHT under the service name `dht` and, on user nodes, the LAN
 * DHT under `lanDht` (createWrenHost runs both).
 */
export type DhtNode = Libp2p<{ dht: KadDHT; lanDht?: KadDHT }>

/** Which DHT a record went to or came from. */
export type DhtName = 'lan' | 'wan'

/** The DHTs of a node, LAN first (it answers fastest when the contact is nearby). */
export function dhtsOf(libp2p: DhtNode): Array<{ name: DhtName; dht: KadDHT }> {
  const out: Array<{ name: DhtName; dht: KadDHT }> = []
  if (libp2p.services.lanDht != null) out.push({ name: 'lan', dht: libp2p.services.lanDht })
  out.push({ name: 'wan', dht: libp2p.services.dht })
  return out
}

/** The DHT key of a user's bundle (layout in core/src/bundle-record.ts); InvalidRecordError on a bad id. */
export function bundleKey(userId: Uint8Array): Uint8Array {
  try {
    return bundleRecordKey(userId)
  } catch (err) {
    throw new InvalidRecordError((err as Error).message, { cause: err })
  }
}

/** The user id inside a bundle key; InvalidRecordError when the key is not a bundle key. */
export function userIdFromBundleKey(key: Uint8Array): Uint8Array {
  try {
    return userIdOfBundleRecordKey(key)
  } catch (err) {
    throw new InvalidRecordError((err as Error).message, { cause: err })
  }
}

/** The kad-dht validator of the bundle namespace: key shape, size cap, then the injected check. */
export function bundleValidator(rules: BundleRecordRules): ValidateFn {
  return async (key, value) => {
    userIdFromBundleKey(key)
    if (value.length > MAX_BUNDLE_RECORD_BYTES) {
      throw new InvalidRecordError(
        `bundle record of ${value.length} bytes exceeds ${MAX_BUNDLE_RECORD_BYTES}`,
      )
    }
    try {
      await rules.validateBundleRecord(key, value)
    } catch (err) {
      if (err instanceof InvalidRecordError) throw err
      throw new InvalidRecordError(`bundle record rejected: ${(err as Error)?.message ?? String(err)}`, {
        cause: err,
      })
    }
  }
}

/** The kad-dht selector of the bundle namespace; an out-of-range answer falls back to the first. */
export function bundleSelector(rules: BundleRecordRules): SelectFn {
  return (key, values) => {
    const i = rules.selectNewestBundle(key, values)
    return Number.isInteger(i) && i >= 0 && i < values.length ? i : 0
  }
}

/** What a DHT namespace adds to a host: its validator and selector. */
export interface NamespaceRules {
  validators: Validators
  selectors: Selectors
}

/**
 * Validators and selectors for every Wren DHT namespace, ready for `createWrenHost({ records })`:
 * the bundle namespace, plus others' rules (device lists: p2p/device-list-records.ts).
 */
export function wrenRecordRules(rules: BundleRecordRules, ...others: NamespaceRules[]): NamespaceRules {
  return {
    validators: Object.assign(
      { [BUNDLE_NAMESPACE]: bundleValidator(rules) },
      ...others.map((o) => o.validators),
    ),
    selectors: Object.assign(
      { [BUNDLE_NAMESPACE]: bundleSelector(rules) },
      ...others.map((o) => o.selectors),
    ),
  }
}

export type PutBundleResult =
  | { ok: true; peers: number }
  | { ok: false; reason: 'no-peers' | 'refused' | 'timeout' | 'stale'; detail: string }

/**
 * Store a bundle under the user's key on the closest DHT peers. The record is validated locally
 * first (kad-dht stores our own puts unvalidated): an invalid own bundle is a fault and throws
 * InvalidRecordError. Counts the peers that accepted it; stops at the signal or DHT_PUT_TIMEOUT_MS.
 */
export async function putBundle(
  libp2p: DhtNode,
  userId: Uint8Array,
  bytes: Uint8Array,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<PutBundleResult> {
  const results = await Promise.all(
    dhtsOf(libp2p).map(({ dht }) => putBundleRecord(dht, userId, bytes, options)),
  )
  return mergePutResults(results)
}

/**
 * One outcome for puts to several DHTs: ok with the peers of all that took it when any did;
 * otherwise the most telling failure (stale > refused > timeout > no-peers).
 */
export function mergePutResults(results: readonly PutBundleResult[]): PutBundleResult {
  const ok = results.filter((r) => r.ok)
  if (ok.length > 0) return { ok: true, peers: ok.reduce((n, r) => n + r.peers, 0) }
  const order = ['stale', 'refused', 'timeout', 'no-peers'] as const
  for (const reason of order) {
    const hit = results.find((r) => !r.ok && r.reason === reason)
    if (hit !== undefined) return hit
  }
  return { ok: false, reason: 'no-peers', detail: 'no DHT to store the record on' }
}

/** putBundle on a bare kad-dht service (for services that hold the DHT as a component). */
export async function putBundleRecord(
  dht: KadDHT,
  userId: Uint8Array,
  bytes: Uint8Array,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<PutBundleResult> {
  return putNamespacedRecord(dht, BUNDLE_NAMESPACE, bundleKey(userId), bytes, options)
}

/**
 * Put a record of one of our namespaces (bundles, device lists) on a bare kad-dht service: the
 * namespace's validator runs locally first (an invalid own record throws), then the same
 * outcomes as putBundle.
 */
export async function putNamespacedRecord(
  dht: KadDHT,
  namespace: string,
  key: Uint8Array,
  bytes: Uint8Array,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<PutBundleResult> {
  const validate = dht.validators[namespace]
  if (validate == null) throw new InvalidRecordError(`no validator registered for the ${namespace} namespace`)
  await validate(key, bytes)
  if (dhtPeerCount(dht) === 0)
    return { ok: false, reason: 'no-peers', detail: 'no DHT peer to store the record on' }

  const signal = boundedSignal(options.signal, options.timeoutMs ?? DHT_PUT_TIMEOUT_MS)
  const accepted = new Set<string>()
  const failed = new Set<string>()
  let detail = ''
  try {
    for await (const event of dht.put(key, bytes, { signal })) {
      if (event.name === 'PEER_RESPONSE' && event.messageName === 'PUT_VALUE') {
        accepted.add(event.from.toString())
      } else if (event.name === 'QUERY_ERROR') {
        failed.add(event.from.toString())
        detail = event.error?.message ?? detail
      }
    }
  } catch (err) {
    if (err instanceof StaleRecordError || (err as Error)?.name === 'StaleRecordError') {
      return { ok: false, reason: 'stale', detail: (err as Error).message }
    }
    if (!signal.aborted) throw err
  }
  // kad-dht reports a peer that answered with a different record as an error after its response
  for (const peer of failed) accepted.delete(peer)
  if (accepted.size > 0) return { ok: true, peers: accepted.size }
  if (signal.aborted) return { ok: false, reason: 'timeout', detail: 'no peer accepted the record in time' }
  if (failed.size > 0)
    return { ok: false, reason: 'refused', detail: detail || 'every peer refused the record' }
  return { ok: false, reason: 'no-peers', detail: 'no DHT peer to store the record on' }
}

export type GetBundleResult = { ok: true; value: Uint8Array } | { ok: false; reason: 'not-found' | 'timeout' }

/**
 * Find the newest valid bundle of a user. Records that fail validation are dropped by kad-dht;
 * if the query ends early (timeout) the newest record seen so far is still returned.
 */
export async function getBundle(
  libp2p: DhtNode,
  userId: Uint8Array,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<GetBundleResult> {
  const dhts = dhtsOf(libp2p)
  const results = await Promise.all(dhts.map(({ dht }) => getBundleRecord(dht, userId, options)))
  const found = results.flatMap((r) => (r.ok ? [r.value] : []))
  if (found.length === 0) {
    return {
      ok: false,
      reason: results.some((r) => !r.ok && r.reason === 'timeout') ? 'timeout' : 'not-found',
    }
  }
  if (found.length === 1) return { ok: true, value: found[0] as Uint8Array }
  // both DHTs answered: the newest record wins, as within one DHT
  const select = libp2p.services.dht.selectors[BUNDLE_NAMESPACE]
  const i = select == null ? 0 : await select(bundleKey(userId), found)
  return { ok: true, value: (found[i] ?? found[0]) as Uint8Array }
}

/** getBundle on one bare kad-dht service. */
export async function getBundleRecord(
  dht: KadDHT,
  userId: Uint8Array,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<GetBundleResult> {
  return getNamespacedRecord(dht, BUNDLE_NAMESPACE, bundleKey(userId), options)
}

/** getBundleRecord for any of our namespaces: the namespace's selector picks among what came back. */
export async function getNamespacedRecord(
  dht: KadDHT,
  namespace: string,
  key: Uint8Array,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<GetBundleResult> {
  if (dhtPeerCount(dht) === 0) return { ok: false, reason: 'not-found' }
  const signal = boundedSignal(options.signal, options.timeoutMs ?? DHT_GET_TIMEOUT_MS)
  const seen: Uint8Array[] = []
  let best: Uint8Array | undefined
  try {
    for await (const event of dht.get(key, { signal })) {
      if (event.name === 'VALUE') best = event.value
      else if (event.name === 'PEER_RESPONSE' && event.record != null) {
        seen.push(event.record.value)
        // leaving the loop ends the query: the newest of these is chosen below
        if (seen.length >= BUNDLE_LOOKUP_QUORUM) break
      }
    }
  } catch (err) {
    // kad-dht throws when it cannot push a correction to a stale peer, after the query finished;
    // the records it collected are still good, so fall through to the selector below.
    if (!signal.aborted && (err as Error)?.name !== 'QueryError') throw err
  }
  // copy: values may be Node Buffers or views into larger pooled buffers
  if (best != null) return { ok: true, value: new Uint8Array(best) }
  if (seen.length > 0) {
    const select = dht.selectors[namespace]
    const i = select == null ? 0 : await select(key, seen)
    const value = seen[i] ?? seen[0]
    if (value != null) return { ok: true, value: new Uint8Array(value) }
  }
  return { ok: false, reason: signal.aborted ? 'timeout' : 'not-found' }
}

/**
 * Peers in a DHT's routing table. kad-dht waits for a first peer before it runs a query (until
 * the caller's signal ends it), so a DHT with none is answered at once instead: on one machine
 * the WAN DHT stays empty, on a node with only public peers the LAN DHT does.
 */
export function dhtPeerCount(dht: KadDHT): number {
  return (dht as unknown as { routingTable?: { size: number } }).routingTable?.size ?? 0
}

function boundedSignal(signal: AbortSignal | undefined, timeoutMs: number): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs)
  return signal == null ? timeout : AbortSignal.any([signal, timeout])
}
