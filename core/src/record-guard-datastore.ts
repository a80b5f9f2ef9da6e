/**
 * A datastore wrapper that stops DHT records from going back in time.
 *
 * kad-dht applies selectors only when reading: a PUT_VALUE simply overwrites what a server holds,
 * so anyone could replay an old (validly signed) bundle and make every server forget the newer
 * one. This wrapper runs the namespace's selector on every record write: when the stored record
 * wins over the incoming one, the write fails with StaleRecordError (the remote put is refused).
 *
 * Every DHT server of Wren wraps its datastore with it, user nodes (node/src/p2p/host.ts) and
 * relays (relay-node/src/relay-host.ts) alike, so it lives here beside bundle-record.ts: the one
 * file of core that knows kad-dht's record format. It does no I/O of its own (the datastore is
 * passed in).
 */

import { Record as DhtRecord, type Selectors } from '@libp2p/kad-dht'
import type { Datastore, Key } from 'interface-datastore'
import { bytesEqual } from './bytes.ts'
import { StaleRecordError } from './errors.ts'

/**
 * Where kad-dht stores records (`${datastorePrefix}/record/<base32 key>`): the WAN DHT under its
 * default prefix, the LAN DHT under '/dht-lan' (see createWrenHost).
 */
const RECORD_KEY_PREFIXES = ['/dht/record/', '/dht-lan/record/']

export function guardRecordDatastore(inner: Datastore, selectors: Selectors): Datastore {
  const guardedPut = async (
    key: Key,
    value: Uint8Array,
    options?: { signal?: AbortSignal },
  ): Promise<Key> => {
    const path = key.toString()
    if (RECORD_KEY_PREFIXES.some((prefix) => path.startsWith(prefix)))
      await refuseStale(inner, selectors, key, value)
    return inner.put(key, value, options)
  }
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'put') return guardedPut
      const member = Reflect.get(target, prop, target)
      return typeof member === 'function' ? member.bind(target) : member
    },
  })
}

async function refuseStale(
  inner: Datastore,
  selectors: Selectors,
  key: Key,
  value: Uint8Array,
): Promise<void> {
  let incoming: DhtRecord
  try {
    incoming = DhtRecord.deserialize(value)
  } catch {
    return // not ours to judge: kad-dht wrote it
  }
  const namespace = new TextDecoder().decode(incoming.key).split('/')[1]
  const select = namespace == null ? undefined : selectors[namespace]
  if (select == null) return
  let existing: DhtRecord
  try {
    existing = DhtRecord.deserialize(await inner.get(key))
  } catch {
    return // nothing stored yet (NotFoundError) or unreadable: the incoming record may go in
  }
  if (bytesEqual(existing.value, incoming.value)) return
  let winner = 1
  try {
    winner = await select(incoming.key, [existing.value, incoming.value])
  } catch {
    return // the stored record no longer parses: replace it
  }
  if (winner === 0) throw new StaleRecordError('a newer record is already stored under this key')
}
