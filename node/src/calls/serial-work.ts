/**
 * The calls service's one queue: signal sends, call-log appends and history lines run one at a
 * time, in the order the calls made them (a hang-up goes after the accept it follows, a call's
 * line after its log entry). A failure is logged, not thrown into the queue.
 */
import type { CallLogger } from './types.ts'

export class SerialWork {
  readonly #log: CallLogger
  #chain: Promise<void> = Promise.resolve()

  constructor(log: CallLogger) {
    this.#log = log
  }

  /** Run `work` after everything queued before it; the promise rejects if `work` does. */
  run(work: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(work)
    this.#chain = run.catch((error) => this.#log.warn('call work failed', { error: (error as Error)?.name }))
    return run
  }

  /** Settles once everything queued so far has run. */
  idle(): Promise<void> {
    return this.#chain
  }
}
