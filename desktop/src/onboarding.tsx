/** @jsxImportSource preact */
/** First run (create an identity) and later runs (unlock), centred cards like Signal's. */
import type { JSX } from 'preact'
import { useMemo, useState } from 'preact/hooks'
import { Icon } from './icons.tsx'
import type { AppStore } from './logic/app-store.ts'
import { passphraseStrength } from './logic/passphrase-strength.ts'
import { describeError } from './logic/rpc-errors.ts'

/** Display name limit (the daemon's MAX_DISPLAY_NAME_CHARS). */
const MAX_NAME_CHARS = 64

export function CreateIdentity({ store }: { store: AppStore }): JSX.Element {
  const [name, setName] = useState('')
  const [pass, setPass] = useState('')
  const [confirm, setConfirm] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const strength = useMemo(() => passphraseStrength(pass), [pass])
  const mismatch = confirm.length > 0 && confirm !== pass
  const ready = name.trim().length > 0 && strength.acceptable && confirm === pass && !busy

  const submit = async (e: Event) => {
    e.preventDefault()
    if (!ready) return
    setBusy(true)
    setError(null)
    try {
      await store.createIdentity(name.trim(), pass)
    } catch (err) {
      setError(describeError(err))
      setBusy(false)
    }
  }

  return (
    <main class="onboarding">
      <form class="card onboarding-card" onSubmit={submit} aria-labelledby="create-title">
        <div class="brand" aria-hidden="true">
          <span class="brand-mark">W</span>
        </div>
        <h1 id="create-title">Welcome to Wren</h1>
        <p class="muted">
          Private messages, end-to-end encrypted, with no company server. Your keys stay on this device,
          locked with a passphrase.
        </p>
        <label class="field">
          <span>Your name</span>
          <input
            value={name}
            maxLength={MAX_NAME_CHARS}
            autoComplete="nickname"
            required
            onInput={(e) => setName(e.currentTarget.value)}
          />
          <small class="muted">Shown to the people you share your card with.</small>
        </label>
        <label class="field">
          <span>Passphrase</span>
          <input
            type="password"
            value={pass}
            autoComplete="new-password"
            aria-describedby="strength-label strength-hint"
            onInput={(e) => setPass(e.currentTarget.value)}
          />
        </label>
        <div class="strength" data-score={pass ? strength.score : -1}>
          {/* biome-ignore lint/a11y/useSemanticElements: a segmented bar; <meter> cannot be styled in segments */}
          <div
            class="strength-bar"
            role="meter"
            aria-label="Passphrase strength"
            aria-valuemin={0}
            aria-valuemax={4}
            aria-valuenow={strength.score}
            aria-valuetext={strength.label}
          >
            {[0, 1, 2, 3].map((i) => (
              <span key={i} class={pass && strength.score > i ? 'on' : ''} />
            ))}
          </div>
          <div class="strength-text" aria-live="polite">
            <strong id="strength-label">{pass ? strength.label : ' '}</strong>
            <span id="strength-hint" class="muted">
              {pass ? strength.hint : 'Four or more random words make a strong, memorable passphrase.'}
            </span>
          </div>
        </div>
        <label class="field">
          <span>Repeat passphrase</span>
          <input
            type="password"
            value={confirm}
            autoComplete="new-password"
            aria-invalid={mismatch}
            onInput={(e) => setConfirm(e.currentTarget.value)}
          />
          {mismatch && <small class="error-text">The passphrases differ.</small>}
        </label>
        <p class="muted small">
          There is no reset: if you forget the passphrase, this identity cannot be opened again.
        </p>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary wide" disabled={!ready}>
          {busy ? 'Creating keys…' : 'Create my identity'}
        </button>
      </form>
    </main>
  )
}

export function Unlock({ store }: { store: AppStore }): JSX.Element {
  const [pass, setPass] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  const submit = async (e: Event) => {
    e.preventDefault()
    if (!pass || busy) return
    setBusy(true)
    setError(null)
    try {
      await store.unlock(pass)
    } catch (err) {
      setError(describeError(err))
      setBusy(false)
      setPass('')
    }
  }

  return (
    <main class="onboarding">
      <form class="card onboarding-card" onSubmit={submit} aria-labelledby="unlock-title">
        <div class="brand" aria-hidden="true">
          <Icon name="lock" size={28} />
        </div>
        <h1 id="unlock-title">Unlock Wren</h1>
        <p class="muted">Enter your passphrase to open your messages.</p>
        <label class="field">
          <span>Passphrase</span>
          <input
            type="password"
            value={pass}
            autoComplete="current-password"
            aria-invalid={error !== null}
            onInput={(e) => setPass(e.currentTarget.value)}
            // biome-ignore lint/a11y/noAutofocus: the only field of a lock screen
            autoFocus
          />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary wide" disabled={!pass || busy}>
          {busy ? 'Unlocking…' : 'Unlock'}
        </button>
      </form>
    </main>
  )
}
