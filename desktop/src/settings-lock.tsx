/** @jsxImportSource preact */
/**
 * Settings: auto-lock (settings.get / settings.set autoLockMinutes). The daemon locks the
 * profile itself after that long without a client request; the page's status poll then shows
 * the unlock screen. The lockout wipe stays a CLI setting (it destroys the profile).
 */
import type { JSX } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import type { AppStore } from './logic/app-store.ts'
import { AUTO_LOCK_CHOICES } from './logic/conversation-menu.ts'
import { describeError } from './logic/rpc-errors.ts'

export function LockSettings({ app }: { app: AppStore }): JSX.Element {
  const [minutes, setMinutes] = useState<number | null | undefined>(undefined)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    app.rpc.call('settings.get').then(
      (s) => setMinutes(s.autoLockMinutes),
      (e: unknown) => setError(describeError(e)),
    )
  }, [app])
  const change = (value: string) => {
    setError(null)
    const next = value === 'off' ? null : Number(value)
    app.rpc.call('settings.set', { autoLockMinutes: next }).then(
      (s) => setMinutes(s.autoLockMinutes),
      (e: unknown) => setError(describeError(e)),
    )
  }
  const known = AUTO_LOCK_CHOICES.some((c) => c.minutes === minutes)
  return (
    <div class="stack">
      <label class="field">
        <span>Lock automatically</span>
        <select
          value={minutes === undefined ? '' : minutes === null ? 'off' : String(minutes)}
          disabled={minutes === undefined}
          onChange={(e) => change(e.currentTarget.value)}
        >
          {AUTO_LOCK_CHOICES.map((c) => (
            <option key={c.label} value={c.minutes === null ? 'off' : String(c.minutes)}>
              {c.label}
            </option>
          ))}
          {!known && typeof minutes === 'number' && (
            <option value={String(minutes)}>After {minutes} minutes</option>
          )}
        </select>
      </label>
      <p class="muted small">
        Locked, Wren forgets its keys and goes offline until you enter your passphrase (messages wait at your
        relays). The lock button next to Settings locks at once.
      </p>
      {error && (
        <p class="error small" role="alert">
          {error}
        </p>
      )}
    </div>
  )
}
