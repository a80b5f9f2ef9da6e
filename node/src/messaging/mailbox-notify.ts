/**
 * The owner's side of MAILBOX_NOTIFY_PROTOCOL: a relay that holds one of our inboxes says it has
 * new mail, and the mailboxes fetch at once instead of at their next poll. The frame is one
 * length-prefixed inbox id (at most MAX_MAILBOX_NOTIFY_BYTES); a notification from a peer that
 * holds none of our inboxes, or naming an inbox we do not have there, is ignored. It carries no
 * content and triggers only the usual authenticated fetch, so a forged one costs one fetch.
 * Each peer's notifications are limited (NOTIFY_PEER_LIMIT); a bad frame counts against it
 * (the host's peer guard).
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { MAILBOX_NOTIFY_PROTOCOL, MAX_MAILBOX_NOTIFY_BYTES } from '../../../core/src/mailbox/constants.ts'
import { PeerLimitError } from '../p2p/errors.ts'
import { peerGuardOf } from '../p2p/peer-guard.ts'
import { isMalformed } from '../p2p/request-response.ts'

/** Bound on reading one notification, in ms: it is one small frame. */
export const NOTIFY_READ_TIMEOUT_MS = 5_000
/** Notification streams a relay connection may hold open at once. */
const NOTIFY_MAX_INBOUND_STREAMS = 4
/**
 * Notifications one peer may send: a relay announces each of our inboxes at most every 250 ms
 * (relay-node owner-notifier.ts, NOTIFY_MIN_INTERVAL_MS) and holds one or two of them.
 */
export const NOTIFY_PEER_LIMIT = { burst: 20, ratePerSecond: 10 } as const

export interface NotifyInit {
  libp2p: Libp2p
  /** Whether `relay` holds our inbox `inboxId`. */
  holds(relay: PeerId, inboxId: Uint8Array): boolean
  onNewMail(): void
}

/** Handle notifications until the returned function is called. */
export async function listenForNewMail(init: NotifyInit): Promise<() => Promise<void>> {
  const guard = peerGuardOf(init.libp2p)
  guard?.limit(MAILBOX_NOTIFY_PROTOCOL, NOTIFY_PEER_LIMIT)
  await init.libp2p.handle(
    MAILBOX_NOTIFY_PROTOCOL,
    async (stream, connection) => {
      if (guard !== undefined && !guard.admit(MAILBOX_NOTIFY_PROTOCOL, connection.remotePeer)) {
        stream.abort(new PeerLimitError(MAILBOX_NOTIFY_PROTOCOL))
        return
      }
      const signal = AbortSignal.timeout(NOTIFY_READ_TIMEOUT_MS)
      try {
        const frame = await lpStream(stream, { maxDataLength: MAX_MAILBOX_NOTIFY_BYTES }).read({ signal })
        await stream.close({ signal })
        if (init.holds(connection.remotePeer, frame.subarray())) init.onNewMail()
      } catch (err) {
        if (isMalformed(err)) guard?.malformed(MAILBOX_NOTIFY_PROTOCOL, connection.remotePeer)
        stream.abort(err instanceof Error ? err : new Error(String(err)))
      }
    },
    { maxInboundStreams: NOTIFY_MAX_INBOUND_STREAMS, runOnLimitedConnection: false },
  )
  return () => init.libp2p.unhandle(MAILBOX_NOTIFY_PROTOCOL)
}
