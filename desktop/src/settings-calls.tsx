/** @jsxImportSource preact */
/** Settings: "relay calls only" (calls.settings), used from the next call. */
import type { JSX } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import type { AppStore } from './logic/app-store.ts'
import { describeError } from './logic/rpc-errors.ts'

export function CallSettings({ app }: { app: AppStore }): JSX.Element {
  const [relayOnly, setRelayOnly] = useState<boolean | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    app.rpc.call('calls.settings', {}).then(
      (s) => setRelayOnly(s.relayOnly),
      (e: unknown) => setError(describeError(e)),
    )
  }, [app])
  const change = (next: boolean) => {
    setError(null)
    app.rpc.call('calls.settings', { relayOnly: next }).then(
      (s) => setRelayOnly(s.relayOnly),
      (e: unknown) => setError(describeError(e)),
    )
  }
  return (
    <div class="stack">
      <label class="check">
        <input
          type="checkbox"
          checked={relayOnly === true}
          disabled={relayOnly === null}
          onChange={(e) => change(e.currentTarget.checked)}
        />
        <span>Relay calls only</span>
      </label>
      <p class="muted small">
        Calls go through TURN on your relays, so the people you call never see your IP address. A call then
        needs a relay that runs TURN, and may sound a little later.
      </p>
      {error && (
        <p class="error small" role="alert">
          {error}
        </p>
      )}
    </div>
  )
}
