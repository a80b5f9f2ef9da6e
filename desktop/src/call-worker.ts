/**
 * The call worker (bundled on its own as call-worker.js): seals every outgoing audio frame and
 * opens every incoming one (core/src/call/sframe.ts, frame-cipher.ts), independent of DTLS.
 * Chromium hands it the encoded frames through RTCRtpScriptTransform (`rtctransform` event);
 * where that is missing, the page transfers the streams of createEncodedStreams() in a message.
 * Empty frames pass through. Frames that do not open are dropped and counted; a run of them
 * (DECRYPT_FAILURES_TO_END) is reported once as failed-decrypt. Keys never leave the worker.
 */
import { FrameCipher, FrameReplayError } from '../../core/src/call/frame-cipher.ts'
import { DecryptCounter } from '../../core/src/call/sframe.ts'

/** What the page passes with each transform (RTCRtpScriptTransform options, or the message). */
export interface FrameTransformOptions {
  readonly side: 'send' | 'receive'
  /** calls.mediaKeys: sendKey for the send side, receiveKey for the receive side (hex). */
  readonly key: string
  /** First send counter (random; see sframe.ts COUNTER_START_SPACE). */
  readonly firstCounter: number
}

/** What the worker tells the page. */
export type CallWorkerReport =
  | {
      readonly type: 'frames'
      readonly side: 'send' | 'receive'
      readonly done: number
      readonly failed: number
    }
  | { readonly type: 'failed-decrypt'; readonly failed: number }

/** A stats report to the page every this many frames per side (50 = once a second of audio). */
const REPORT_EVERY_FRAMES = 50

interface EncodedFrame {
  data: ArrayBuffer
}

interface TransformerLike {
  readonly readable: ReadableStream<EncodedFrame>
  readonly writable: WritableStream<EncodedFrame>
  readonly options: FrameTransformOptions
}

const scope = globalThis as unknown as {
  postMessage(message: CallWorkerReport): void
  onrtctransform: ((event: { transformer: TransformerLike }) => void) | null
  onmessage: ((event: MessageEvent) => void) | null
}

async function run(
  readable: ReadableStream<EncodedFrame>,
  writable: WritableStream<EncodedFrame>,
  options: FrameTransformOptions,
) {
  const cipher = await FrameCipher.create(crypto.subtle, options.key, options.firstCounter)
  const counter = new DecryptCounter()
  let done = 0
  let failed = 0
  let reportedFailure = false
  const report = () => {
    if ((done + failed) % REPORT_EVERY_FRAMES === 0)
      scope.postMessage({ type: 'frames', side: options.side, done, failed })
  }
  const transform = new TransformStream<EncodedFrame, EncodedFrame>({
    async transform(frame, controller) {
      const data = new Uint8Array(frame.data)
      if (data.byteLength === 0) {
        controller.enqueue(frame)
        return
      }
      try {
        const out = options.side === 'send' ? await cipher.seal(data) : await cipher.open(data)
        frame.data = out.buffer as ArrayBuffer
        controller.enqueue(frame)
        done++
        if (options.side === 'receive') counter.ok()
      } catch (error) {
        // a frame that cannot be sealed is dropped, never sent in the clear; a replayed one is
        // dropped (a duplicate, not a key problem); one that does not open is dropped and counted
        if (error instanceof FrameReplayError) return
        failed++
        if (options.side === 'receive' && counter.fail() && !reportedFailure) {
          reportedFailure = true
          scope.postMessage({ type: 'failed-decrypt', failed: counter.failed })
        }
      }
      report()
    },
  })
  await readable.pipeThrough(transform).pipeTo(writable)
}

scope.onrtctransform = (event) => {
  const t = event.transformer
  void run(t.readable, t.writable, t.options).catch(() => {
    // the stream closes when the call ends
  })
}

scope.onmessage = (event) => {
  const m = event.data as {
    type?: string
    readable?: ReadableStream<EncodedFrame>
    writable?: WritableStream<EncodedFrame>
    options?: FrameTransformOptions
  }
  if (m.type !== 'streams' || !m.readable || !m.writable || !m.options) return
  void run(m.readable, m.writable, m.options).catch(() => {})
}
