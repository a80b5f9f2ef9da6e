/**
 * The call log: ended calls in order under cl/<order> (storage/layout.ts), newest read first.
 * Appends are serialised by the caller (the calls service runs them one at a time), so the
 * counter read and write do not race.
 */
import type { Vault } from '../messaging/vault.ts'
import { PREFIXES } from '../storage/layout.ts'
import { orderedCounter, putRecord } from '../storage/sealed-store.ts'
import { CALL_LOG_RECORD, type CallLogRecord } from './records.ts'

const COUNTER_NAME = 'calls'

export class CallLog {
  readonly #vault: Vault

  constructor(vault: Vault) {
    this.#vault = vault
  }

  async append(record: CallLogRecord): Promise<void> {
    const order = await this.#vault.nextCounter(COUNTER_NAME)
    await this.#vault.store.batch([
      putRecord(`${PREFIXES.callLog}${orderedCounter(order)}`, CALL_LOG_RECORD, record),
      this.#vault.counterOp(COUNTER_NAME, order),
    ])
  }

  /** The newest `limit` entries, newest first. */
  async newest(limit: number): Promise<CallLogRecord[]> {
    const out: CallLogRecord[] = []
    for await (const [, value] of this.#vault.store.scan(CALL_LOG_RECORD, {
      prefix: PREFIXES.callLog,
      reverse: true,
      limit,
    }))
      out.push(value)
    return out
  }
}
