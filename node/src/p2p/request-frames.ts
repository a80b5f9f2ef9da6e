/**
 * The requester's side of a streamed response (request-response.ts, a handler returning
 * `{ frames }`): one request on a fresh stream over a direct connection, then its response
 * frames read one at a time, each bounded by the timeout. Expected network outcomes come back as
 * values, as with sendRequest.
 */
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { MAX_RESPONSE_BYTES, REQUEST_TIMEOUT_MS } from './constants.ts'
import {
  boundedSignal,
  errorMessage,
  errorName,
  failure,
  REFUSED_DIAL_ERRORS,
  REFUSED_STREAM_ERRORS,
  type RequestFailure,
} from './request-response.ts'

/**
 * Response frames of one request (openFrames), read one at a time: the caller knows how many to
 * expect (the protocol says), reads them, and leaves the stream to close with the responder's end.
 */
export interface FrameReader {
  /** The next frame, bounded by the timeout; a failure ends the reader (the stream is reset). */
  next(): Promise<FrameResult>
  /** Stop early: the stream is reset, the responder's writes fail. */
  close(): void
}

export type FrameResult =
  | { ok: true; frame: Uint8Array }
  | { ok: false; reason: RequestFailure; detail: string; error?: string }

export interface OpenFramesOptions {
  /** Bound on the dial and the request's write, then on each frame's arrival. */
  timeoutMs?: number
  /** A larger frame is a protocol failure (checked from its length prefix, before reading it). */
  maxFrameBytes?: number
  /** Bytes that may arrive before they are read (libp2p's default is 4 MiB); more resets the stream. */
  maxBufferBytes?: number
  signal?: AbortSignal
}

/**
 * Send one request on a fresh stream (direct connections only) and read its response frames:
 * the streaming counterpart of sendRequest, for a handler that returns `{ frames }`.
 */
export async function openFrames(
  libp2p: Libp2p,
  peer: PeerId,
  protocol: string,
  request: Uint8Array,
  options: OpenFramesOptions = {},
): Promise<{ ok: true; frames: FrameReader } | Extract<FrameResult, { ok: false }>> {
  const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS
  const opening = boundedSignal(options.signal, timeoutMs)
  let stream: Stream
  try {
    stream = await libp2p.dialProtocol(peer, protocol, { signal: opening })
  } catch (err) {
    if (opening.aborted) return failure('timeout', 'dial did not complete in time')
    const name = errorName(err)
    if (REFUSED_DIAL_ERRORS.has(name)) return failure('refused', `${name}: ${errorMessage(err)}`, name)
    return failure('unreachable', `${name}: ${errorMessage(err)}`, name)
  }
  const lp = lpStream(stream, {
    maxDataLength: options.maxFrameBytes ?? MAX_RESPONSE_BYTES,
    ...(options.maxBufferBytes !== undefined ? { maxBufferSize: options.maxBufferBytes } : {}),
  })
  const fail = (err: unknown, signal: AbortSignal): Extract<FrameResult, { ok: false }> => {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    if (signal.aborted) return failure('timeout', 'no response in time')
    const name = errorName(err)
    if (REFUSED_STREAM_ERRORS.has(name)) return failure('refused', `${name}: ${errorMessage(err)}`, name)
    return failure('protocol', `${name}: ${errorMessage(err)}`, name)
  }
  try {
    await lp.write(request, { signal: opening })
    await stream.close({ signal: opening })
  } catch (err) {
    return fail(err, opening)
  }
  let ended = false
  return {
    ok: true,
    frames: {
      async next() {
        if (ended) return failure('protocol', 'frames read after a failure or close')
        const signal = boundedSignal(options.signal, timeoutMs)
        try {
          const frame = await lp.read({ signal })
          return { ok: true, frame: ownBytes(frame.subarray()) }
        } catch (err) {
          ended = true
          return fail(err, signal)
        }
      },
      close() {
        ended = true
        if (stream.status === 'open') stream.abort(new Error('frames no longer read'))
      },
    },
  }
}

/**
 * The frame as bytes of its own: a frame that arrived in pieces was joined into a fresh buffer by
 * the list (kept: a 256 KiB file chunk is not copied twice); a view into a larger buffer
 * (a Node Buffer from a shared pool, a piece of what the socket read) is copied, so the frame
 * keeps no other bytes alive.
 */
function ownBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength)
    return new Uint8Array(bytes.buffer, 0, bytes.byteLength) // a plain view, not a Node Buffer
  return new Uint8Array(bytes)
}
