/**
 * The stored record of one of our mailboxes (versioned, checked on read) and of the list of them
 * kept at meta/mailboxes, plus parsing a candidate relay's multiaddr.
 */
import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { z } from 'zod'
import { StoredRecordError } from '../storage/errors.ts'
import { FIXED_KEYS } from '../storage/layout.ts'
import { type RecordType, recordBytes, versionedRecord } from '../storage/stored-record.ts'

export const MAILBOXES_KEY = FIXED_KEYS.mailboxes

/** One of our mailboxes, version 1 (each element of the list stored at meta/mailboxes). */
const MailboxRecordSchema = z.object({
  relay: z.string(),
  addrs: z.array(z.string()),
  inboxSeed: recordBytes,
  inboxId: recordBytes,
  registeredAt: z.number(),
  failures: z.number().int().min(0),
  /**
   * Set when the mailbox was replaced after repeated failures: no longer in the bundle, but still
   * fetched (mail may sit there) until it answers once or MAILBOX_TTL_MS has passed.
   */
  retiredAt: z.number().optional(),
})
export type MailboxRecord = z.output<typeof MailboxRecordSchema>
const MAILBOX_RECORD = versionedRecord('mailbox', MailboxRecordSchema)

/** The list itself is a plain array (no room for a version); each element carries its own. */
export const MAILBOX_LIST: RecordType<MailboxRecord[]> = {
  name: 'mailbox list',
  version: undefined,
  decode: (key, value) => {
    if (!Array.isArray(value)) throw new StoredRecordError(key, 'mailbox list is not an array')
    return value.map((element) => MAILBOX_RECORD.decode(key, element))
  },
  encode: (records) => records.map((record) => MAILBOX_RECORD.encode(record)),
}

/** A candidate relay: its PeerId and multiaddr, or null when the address names none. */
export function relayOf(addr: string): { peerId: PeerId; addr: Multiaddr } | null {
  try {
    const ma = multiaddr(addr)
    const id = ma.getComponents().findLast((c) => c.name === 'p2p')?.value
    if (id === undefined) return null
    return { peerId: peerIdFromString(id), addr: ma }
  } catch {
    return null
  }
}
