/** @jsxImportSource preact */
/** Add contact, my card, contact details (safety number) and settings. */
import type { JSX } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import type { Contact, Result } from '../../node/src/rpc/api.ts'
import { Avatar } from './avatar.tsx'
import { CopyButton, Dialog, SvgImage } from './dialog.tsx'
import { Icon } from './icons.tsx'
import type { AppStore } from './logic/app-store.ts'
import { cardFromQrText, MAX_CARD_CHARS, NO_CARD_IN_IMAGE } from './logic/qr-image.ts'
import { describeError } from './logic/rpc-errors.ts'
import {
  MAX_SAFETY_NUMBER_CHARS,
  normaliseSafetyNumber,
  safetyNumberRows,
  safetyNumberText,
} from './logic/safety-number.ts'
import type { ThemePreference } from './logic/theme.ts'
import { decodeQrImage, QrImageError } from './qr-decode.ts'
import { CallSettings } from './settings-calls.tsx'
import { DeviceSettings } from './settings-devices.tsx'
import { FileSettings } from './settings-files.tsx'
import { LockSettings } from './settings-lock.tsx'
import { ProfileSettings } from './settings-profile.tsx'

export function AddContact({
  app,
  onClose,
  onAdded,
}: {
  app: AppStore
  onClose: () => void
  onAdded: (contact: Contact) => void
}): JSX.Element {
  const [card, setCard] = useState('')
  const [name, setName] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [reading, setReading] = useState(false)
  const [dragging, setDragging] = useState(false)
  const fileInput = useRef<HTMLInputElement>(null)
  const loadImage = async (file: File | undefined) => {
    if (file === undefined || reading) return
    setReading(true)
    setError(null)
    try {
      const found = cardFromQrText(await decodeQrImage(file))
      if (found === null) setError(NO_CARD_IN_IMAGE)
      else setCard(found)
    } catch (err) {
      setError(err instanceof QrImageError ? err.message : describeError(err))
    } finally {
      setReading(false)
    }
  }
  const onDrop = (e: DragEvent) => {
    e.preventDefault()
    setDragging(false)
    void loadImage(e.dataTransfer?.files[0])
  }
  const onDragOver = (e: DragEvent) => {
    e.preventDefault()
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy'
    setDragging(true)
  }
  const submit = async (e: Event) => {
    e.preventDefault()
    if (!card.trim() || busy) return
    setBusy(true)
    setError(null)
    try {
      onAdded(await app.addContact(card.trim(), name.trim() || undefined))
    } catch (err) {
      setError(describeError(err))
      setBusy(false)
    }
  }
  return (
    <Dialog title="Add contact" onClose={onClose}>
      <form
        onSubmit={submit}
        class={dragging ? 'stack drop-target dragging' : 'stack drop-target'}
        onDragOver={onDragOver}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <p class="muted">
          Paste the contact card they shared with you (it starts with <code>wren:</code>), or load a picture
          of its QR code.
        </p>
        <label class="field">
          <span>Contact card</span>
          <textarea
            class="mono"
            rows={4}
            value={card}
            maxLength={MAX_CARD_CHARS}
            spellcheck={false}
            aria-invalid={error !== null}
            onInput={(e) => setCard(e.currentTarget.value)}
            autoFocus
          />
        </label>
        <div class="qr-load">
          <button
            type="button"
            class="secondary"
            disabled={reading}
            aria-describedby="qr-load-hint"
            onClick={() => fileInput.current?.click()}
          >
            {reading ? 'Reading QR image…' : 'Load QR image'}
          </button>
          <input
            ref={fileInput}
            type="file"
            accept="image/*"
            hidden
            tabIndex={-1}
            aria-label="QR image file"
            onChange={(e) => {
              const input = e.currentTarget
              void loadImage(input.files?.[0])
              input.value = ''
            }}
          />
          <span id="qr-load-hint" class="muted small">
            or drop the image on this dialog
          </span>
        </div>
        <label class="field">
          <span>Name (optional)</span>
          <input value={name} maxLength={64} onInput={(e) => setName(e.currentTarget.value)} />
          <small class="muted">Overrides the name on the card, only on this device.</small>
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="actions">
          <button type="button" class="secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={!card.trim() || busy}>
            {busy ? 'Adding…' : 'Add contact'}
          </button>
        </div>
      </form>
    </Dialog>
  )
}

export function MyCard({ app, onClose }: { app: AppStore; onClose: () => void }): JSX.Element {
  const me = app.state.identity
  return (
    <Dialog title="My card" onClose={onClose}>
      {me === null ? (
        <p class="error" role="alert">
          Your identity is not loaded.
        </p>
      ) : (
        <div class="stack center">
          <Avatar name={me.displayName} id={me.userId} size={64} />
          <div>
            <div class="big-name">{me.displayName}</div>
            <div class="muted mono small">{me.userId}</div>
          </div>
          <SvgImage svg={me.cardQrSvg} alt="QR code of my contact card" size={220} />
          <p class="muted small">
            Share this card so people can add you. It holds your public key, not a secret.
          </p>
          <textarea class="mono card-text" rows={3} readOnly value={me.card} aria-label="My contact card" />
          <CopyButton text={me.card} label="Copy card" />
        </div>
      )}
    </Dialog>
  )
}

export function ContactDetails({
  app,
  contact,
  onClose,
}: {
  app: AppStore
  contact: Contact
  onClose: () => void
}): JSX.Element {
  const [sn, setSn] = useState<Result<'contacts.safetyNumber'> | null>(null)
  const [theirs, setTheirs] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  useEffect(() => {
    let live = true
    app.safetyNumber(contact.userId).then(
      (r) => live && setSn(r),
      (e) => live && setError(describeError(e)),
    )
    return () => {
      live = false
    }
  }, [contact.userId, contact.identityKey])
  const act = async (fn: () => Promise<void>) => {
    setBusy(true)
    setError(null)
    try {
      await fn()
    } catch (e) {
      setError(describeError(e))
    } finally {
      setBusy(false)
    }
  }
  return (
    <Dialog title="Contact details" onClose={onClose} wide>
      <div class="stack center">
        <Avatar name={contact.displayName} id={contact.userId} size={64} />
        <div>
          <div class="big-name">
            {contact.displayName}
            {contact.verified && (
              <span class="verified" title="Verified">
                <Icon name="verified" size={18} />
              </span>
            )}
          </div>
          <div class="muted mono small">{contact.userId}</div>
        </div>
        {contact.keyChanged && (
          <p class="banner banner-warn" role="alert">
            The safety number changed. Compare the new number with {contact.displayName} before you accept it.
          </p>
        )}
        <h3 class="section-title">Safety number</h3>
        <p class="muted small">
          Compare these numbers with {contact.displayName} in person or over a call you trust. If they match
          on both devices, your chat is end-to-end encrypted with no one in between.
        </p>
        {sn === null && !error && <p class="muted">Computing…</p>}
        {sn && (
          <>
            <SvgImage svg={sn.qrSvg} alt="Safety number QR code" size={180} />
            <div class="safety-number" data-safety-number={sn.safetyNumber}>
              {safetyNumberRows(sn.safetyNumber).map((row, r) => (
                <div class="sn-row" key={r}>
                  {row.map((g, i) => (
                    <span class="sn-group" key={i}>
                      {g}
                    </span>
                  ))}
                </div>
              ))}
            </div>
            <CopyButton text={safetyNumberText(sn.safetyNumber)} label="Copy safety number" />
          </>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        {!contact.verified && sn && !contact.keyChanged && (
          <form
            class="verify-form"
            onSubmit={(e) => {
              e.preventDefault()
              void act(() => app.verify(contact.userId, { safetyNumber: normaliseSafetyNumber(theirs) }))
            }}
          >
            <label class="field">
              <span>Or paste the number {contact.displayName} sent you</span>
              <input
                value={theirs}
                maxLength={MAX_SAFETY_NUMBER_CHARS}
                inputMode="numeric"
                autocomplete="off"
                onInput={(e) => setTheirs(e.currentTarget.value)}
              />
            </label>
            <button type="submit" class="primary" disabled={busy || theirs.trim() === ''}>
              Check and verify
            </button>
          </form>
        )}
        <div class="actions">
          {contact.keyChanged && (
            <button
              type="button"
              class="secondary"
              disabled={busy}
              onClick={() => act(() => app.acceptKeyChange(contact.userId))}
            >
              Accept new key
            </button>
          )}
          {!contact.verified ? (
            <button
              type="button"
              class="secondary"
              disabled={busy || sn === null || contact.keyChanged}
              onClick={() => act(() => app.verify(contact.userId, { compared: true }))}
            >
              We compared them: mark verified
            </button>
          ) : (
            <span class="ok-text">
              <Icon name="verified" size={16} /> Verified
            </span>
          )}
        </div>
      </div>
    </Dialog>
  )
}

export interface SettingsProps {
  readonly app: AppStore
  readonly theme: ThemePreference
  readonly onTheme: (t: ThemePreference) => void
  readonly notifications: boolean
  readonly onNotifications: (on: boolean) => void
  readonly onClose: () => void
}

export function Settings({
  app,
  theme,
  onTheme,
  notifications,
  onNotifications,
  onClose,
}: SettingsProps): JSX.Element {
  const me = app.state.identity
  const status = app.state.status
  const [permission, setPermission] = useState(
    typeof Notification === 'undefined' ? 'denied' : Notification.permission,
  )
  const toggleNotifications = async (on: boolean) => {
    if (on && typeof Notification !== 'undefined' && Notification.permission === 'default')
      setPermission(await Notification.requestPermission())
    onNotifications(on)
  }
  return (
    <Dialog title="Settings" onClose={onClose}>
      <div class="stack">
        <section aria-labelledby="s-profile">
          <h3 id="s-profile" class="section-title">
            Profile
          </h3>
          <p>
            {me?.displayName} <span class="muted mono small">{me?.userId}</span>
          </p>
          <ProfileSettings app={app} />
        </section>
        <fieldset class="theme-choice">
          <legend class="section-title">Theme</legend>
          {(['system', 'light', 'dark'] as const).map((t) => (
            <label key={t} class="radio">
              <input type="radio" name="theme" value={t} checked={theme === t} onChange={() => onTheme(t)} />
              <span>{t === 'system' ? 'Match system' : t === 'light' ? 'Light' : 'Dark'}</span>
            </label>
          ))}
        </fieldset>
        <section aria-labelledby="s-notify">
          <h3 id="s-notify" class="section-title">
            Notifications
          </h3>
          <label class="check">
            <input
              type="checkbox"
              checked={notifications}
              onChange={(e) => void toggleNotifications(e.currentTarget.checked)}
            />
            <span>Show a desktop notification for new messages while Wren is in the background</span>
          </label>
          {notifications && permission === 'denied' && (
            <p class="error small" role="alert">
              The browser blocks notifications for this window.
            </p>
          )}
        </section>
        <section aria-labelledby="s-devices">
          <h3 id="s-devices" class="section-title">
            Devices
          </h3>
          <DeviceSettings app={app} />
        </section>
        <section aria-labelledby="s-calls">
          <h3 id="s-calls" class="section-title">
            Calls
          </h3>
          <CallSettings app={app} />
        </section>
        <section aria-labelledby="s-files">
          <h3 id="s-files" class="section-title">
            Files
          </h3>
          <FileSettings app={app} />
        </section>
        <section aria-labelledby="s-lock">
          <h3 id="s-lock" class="section-title">
            Lock
          </h3>
          <LockSettings app={app} />
        </section>
        <section aria-labelledby="s-network">
          <h3 id="s-network" class="section-title">
            Network
          </h3>
          {status ? (
            <dl class="facts">
              <dt>Connections</dt>
              <dd>{status.connections}</dd>
              <dt>Relays</dt>
              <dd>{status.relays}</dd>
              <dt>Device</dt>
              <dd class="mono small">{status.peerId ?? '—'}</dd>
              <dt>Version</dt>
              <dd>{status.version}</dd>
            </dl>
          ) : (
            <p class="muted">Not connected to the daemon.</p>
          )}
        </section>
      </div>
    </Dialog>
  )
}
