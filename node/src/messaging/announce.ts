/**
 * "We are back": after start, dial every known contact's device so it notices and flushes its
 * outbox to us. A bounded fan-out: at most `concurrency` dials at once (a profile may have
 * hundreds of contacts; each dial holds sockets and may wait up to its timeout), on @libp2p/utils'
 * Queue. Failures are expected (contacts offline) and dropped.
 */
import type { AbortOptions } from '@libp2p/interface'
import { Queue } from '@libp2p/utils'

export interface AnnounceInit<P> {
  /** Dial one device; rejects when it cannot be reached. */
  dial: (peer: P, options: AbortOptions) => Promise<unknown>
  /** Dials in flight at most. */
  concurrency: number
  /** Each dial gives up after this long. */
  timeoutMs: number
}

/** Dial all `peers`, at most `concurrency` at a time; settles when every dial has. `stop()` aborts the rest. */
export class Announcer<P> {
  readonly #init: AnnounceInit<P>
  readonly #queue: Queue<void>
  /** Aborted by stop(): ends running dials and drops queued ones (each job listens to it). */
  readonly #stopped = new AbortController()

  constructor(init: AnnounceInit<P>) {
    this.#init = init
    this.#queue = new Queue({ concurrency: init.concurrency })
  }

  async announce(peers: readonly P[]): Promise<void> {
    if (this.#stopped.signal.aborted) return
    await Promise.allSettled(
      peers.map((peer) =>
        this.#queue.add(
          async (options) => {
            const signals = [AbortSignal.timeout(this.#init.timeoutMs)]
            if (options?.signal !== undefined) signals.push(options.signal)
            await this.#init.dial(peer, { signal: AbortSignal.any(signals) }).catch(() => {})
          },
          { signal: this.#stopped.signal },
        ),
      ),
    )
  }

  /** Dials not started yet are dropped; running ones are aborted. */
  stop(): void {
    // Queue.abort() would leave the add() promises of jobs not started pending for ever; a job
    // whose every caller's signal aborts is aborted and taken off the queue instead.
    this.#stopped.abort()
  }
}
