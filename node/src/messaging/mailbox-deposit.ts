/**
 * The sender side of relay mailboxes: deposit envelopes at a contact's mailboxes (named by the
 * hints in its bundle) and claim one of its one-time prekeys there.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { bytesEqual } from '../../../core/src/bytes.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import { MAX_DEPOSIT_BATCH, MAX_DEPOSIT_BATCH_BYTES } from '../../../core/src/mailbox/constants.ts'
import type { MailboxHint } from '../../../core/src/prekey-bundle.ts'
import { MailboxClient } from '../mailbox/mailbox-client.ts'
import { peerIdFromBytes } from './peer-ids.ts'

/** What talking to a relay needs. */
export interface MailboxNet {
  readonly libp2p: Libp2p
  readonly suite: CryptoSuite
}

/**
 * Deposit envelopes (in order) to each of a contact's mailboxes, mailboxes in parallel.
 * Returns, per envelope, the number of verified storage receipts.
 */
export async function depositToMailboxes(
  net: MailboxNet,
  hints: readonly MailboxHint[],
  envelopes: readonly Uint8Array[],
): Promise<number[]> {
  const counts = envelopes.map(() => 0)
  await Promise.all(
    hints.map(async (hint) => {
      let relay: PeerId
      try {
        relay = peerIdFromBytes(hint.relayPeerId)
      } catch {
        return
      }
      if (relay.type !== 'Ed25519') return
      const client = new MailboxClient({
        libp2p: net.libp2p,
        suite: net.suite,
        relay,
        addrs: hint.addrs.flatMap((a) => {
          try {
            return [multiaddr(a)]
          } catch {
            return []
          }
        }),
      })
      const stored = (i: number, receipt: { inboxId: Uint8Array }) => {
        if (bytesEqual(receipt.inboxId, hint.inboxId)) counts[i] = (counts[i] as number) + 1
      }
      for (const [start, end] of depositBatches(envelopes)) {
        const batch = envelopes.slice(start, end)
        const result = await client.depositBatch(hint.inboxId, batch)
        if (!result.ok && (result.reason === 'unreachable' || result.reason === 'timeout')) return
        const held = result.ok ? result.value.length : 0
        if (result.ok) for (const [j, receipt] of result.value.entries()) stored(start + j, receipt)
        // the relay stopped early (quota, a refused envelope) or does not take batches: the rest
        // of the batch one by one, each with its own answer, as before batches existed
        for (let i = start + held; i < end; i++) {
          const single = await client.deposit(hint.inboxId, envelopes[i] as Uint8Array)
          if (single.ok) stored(i, single.value)
          else if (single.reason === 'unreachable' || single.reason === 'timeout') return
        }
      }
    }),
  )
  return counts
}

/** [start, end) ranges of at most MAX_DEPOSIT_BATCH envelopes and MAX_DEPOSIT_BATCH_BYTES (at least one each). */
export function depositBatches(envelopes: readonly Uint8Array[]): Array<[number, number]> {
  const ranges: Array<[number, number]> = []
  let start = 0
  while (start < envelopes.length) {
    let end = start
    let bytes = 0
    while (end < envelopes.length && end - start < MAX_DEPOSIT_BATCH) {
      const size = (envelopes[end] as Uint8Array).length
      if (end > start && bytes + size > MAX_DEPOSIT_BATCH_BYTES) break
      bytes += size
      end++
    }
    ranges.push([start, end])
    start = end
  }
  return ranges
}

/** Claim a one-time prekey item from one of a contact's mailboxes; null when none is left. */
export async function claimMailboxPrekey(
  net: MailboxNet,
  hints: readonly MailboxHint[],
): Promise<Uint8Array | null> {
  for (const hint of hints) {
    try {
      const relay = peerIdFromBytes(hint.relayPeerId)
      const client = new MailboxClient({
        libp2p: net.libp2p,
        suite: net.suite,
        relay,
        addrs: hint.addrs.map((a) => multiaddr(a)),
      })
      const result = await client.claimPrekey(hint.inboxId)
      if (result.ok) return result.value
    } catch {
      // a malformed hint: try the next mailbox
    }
  }
  return null
}
