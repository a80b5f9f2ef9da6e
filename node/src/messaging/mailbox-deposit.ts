/**
 * The sender side of relay mailboxes: deposit envelopes at a contact's mailboxes (named by the
 * hints in its bundle) and claim one of its one-time prekeys there.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { bytesEqual } from '../../../core/src/bytes.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
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
      for (let i = 0; i < envelopes.length; i++) {
        const result = await client.deposit(hint.inboxId, envelopes[i] as Uint8Array)
        if (result.ok && bytesEqual(result.value.inboxId, hint.inboxId)) counts[i] = (counts[i] as number) + 1
        else if (!result.ok && (result.reason === 'unreachable' || result.reason === 'timeout')) return
      }
    }),
  )
  return counts
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
