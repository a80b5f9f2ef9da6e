/**
 * The transport of /wren/call/1.0.0 (issue 15): an accepted call's signals between the two bound
 * devices, one sealed frame (core/src/call/stream-frame.ts) per stream and a status back, over a
 * connection that is open already — nothing here dials, queues, retries or stores: a frame that
 * cannot go (no connection, a reset, no answer in CALL_STREAM_TIMEOUT_MS, "not ready") comes back
 * as a value, and the calls service sends the signal over the pairwise session instead.
 *
 * Served through handleRequests like every Wren protocol: the peer guard's token bucket per peer
 * (CALL_STREAM_PEER_LIMIT) before anything is read, the frame capped from its length prefix
 * (MAX_CALL_STREAM_FRAME_BYTES), malformed and forged frames counted against the peer.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import {
  MAX_CALL_STREAM_FRAME_BYTES,
  MAX_CALL_STREAM_REPLY_BYTES,
  STREAM_DELIVERED,
  STREAM_GONE,
} from '../../../core/src/call/constants.ts'
import {
  type CallFrame,
  decodeCallFrame,
  decodeCallReply,
  encodeCallReply,
} from '../../../core/src/call/stream-frame.ts'
import { AeadError, WrenCoreError } from '../../../core/src/errors.ts'
import { peerIdFromBytes } from '../messaging/peer-ids.ts'
import { handleRequests, sendRequest } from '../p2p/request-response.ts'
import { CALL_PROTOCOL, CALL_STREAM_PEER_LIMIT, CALL_STREAM_TIMEOUT_MS } from './constants.ts'
import type { CallLogger } from './types.ts'

/** How a frame fared: applied there, no such call there, or not sent (send it another way). */
export type CallStreamOutcome = 'delivered' | 'gone' | 'not-ready' | 'no-connection' | 'failed'

/** What the calls service does with a received frame: a STREAM_* status (throws AeadError if forged). */
export type CallFrameReceiver = (peer: PeerId, frame: CallFrame) => Promise<number>

/** The side of the transport the calls service sees. */
export interface CallSignalChannel {
  /** Serve inbound frames with `receive` (once, at start). */
  serve(receive: CallFrameReceiver): Promise<void>
  stop(): Promise<void>
  /** One frame to the device `devicePeerId`, only over a connection that is open now. */
  send(devicePeerId: Uint8Array, frame: Uint8Array): Promise<CallStreamOutcome>
}

export interface CallStreamInit {
  readonly libp2p: Libp2p
  readonly log: CallLogger
}

export class CallStream implements CallSignalChannel {
  readonly #init: CallStreamInit

  constructor(init: CallStreamInit) {
    this.#init = init
  }

  async serve(receive: CallFrameReceiver): Promise<void> {
    await handleRequests(
      this.#init.libp2p,
      CALL_PROTOCOL,
      async (request, ctx) => {
        const frame = decodeCallFrame(request) // a DecodeError counts against the peer
        try {
          return encodeCallReply(await receive(ctx.peerId, frame))
        } catch (error) {
          // a frame that does not open under the call's key was not sealed by the bound device
          if (error instanceof AeadError) ctx.malformed()
          throw error
        }
      },
      {
        maxRequestBytes: MAX_CALL_STREAM_FRAME_BYTES,
        runOnLimitedConnection: true,
        timeoutMs: CALL_STREAM_TIMEOUT_MS,
        limit: CALL_STREAM_PEER_LIMIT,
        onError: (error) => this.#init.log.debug('call frame refused', { error: (error as Error)?.name }),
      },
    )
  }

  async stop(): Promise<void> {
    await this.#init.libp2p.unhandle(CALL_PROTOCOL).catch(() => {})
  }

  async send(devicePeerId: Uint8Array, frame: Uint8Array): Promise<CallStreamOutcome> {
    const { libp2p } = this.#init
    let peer: PeerId
    try {
      peer = peerIdFromBytes(devicePeerId)
    } catch {
      return 'no-connection'
    }
    if (!libp2p.getConnections(peer).some((c) => c.status === 'open')) return 'no-connection'
    const result = await sendRequest(libp2p, peer, CALL_PROTOCOL, frame, {
      timeoutMs: CALL_STREAM_TIMEOUT_MS,
      maxResponseBytes: MAX_CALL_STREAM_REPLY_BYTES,
      runOnLimitedConnection: true,
    })
    if (!result.ok) {
      this.#init.log.debug('call frame not sent', { reason: result.reason, error: result.error })
      return 'failed'
    }
    try {
      const status = decodeCallReply(result.response)
      return status === STREAM_DELIVERED ? 'delivered' : status === STREAM_GONE ? 'gone' : 'not-ready'
    } catch (error) {
      if (!(error instanceof WrenCoreError)) throw error
      return 'failed'
    }
  }
}
