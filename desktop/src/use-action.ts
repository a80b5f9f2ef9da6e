/** One user action against the daemon: busy while it runs, its error kept for the place it happened. */
import { useState } from 'preact/hooks'
import { describeError } from './logic/rpc-errors.ts'

export interface Action {
  /** The key of the running action (which button), or null. */
  readonly busy: string | null
  readonly error: string | null
  /** Run `fn`; true when it succeeded. Ignored while another run of this action is busy. */
  run(key: string, fn: () => Promise<unknown>): Promise<boolean>
  clearError(): void
}

export function useAction(): Action {
  const [busy, setBusy] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  return {
    busy,
    error,
    async run(key, fn) {
      if (busy !== null) return false
      setBusy(key)
      setError(null)
      try {
        await fn()
        return true
      } catch (e) {
        setError(describeError(e))
        return false
      } finally {
        setBusy(null)
      }
    },
    clearError: () => setError(null),
  }
}
