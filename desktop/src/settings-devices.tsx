/** @jsxImportSource preact */
/**
 * Settings: Devices (issue 18). The devices of this identity (devices.list), linking a new one
 * from this device (devices.link with the code the new device shows, then devices.confirm with the
 * number it shows, after comparing it with ours), and revoking another one (devices.revoke: its
 * contacts stop sending to it and it locks itself when reached). Logic: logic/devices.ts.
 */
import type { JSX } from 'preact'
import { useCallback, useEffect, useState } from 'preact/hooks'
import type { DeviceList } from '../../node/src/rpc/api.ts'
import type { AppStore } from './logic/app-store.ts'
import {
  confirmationDigits,
  type DeviceRow,
  deviceRows,
  type LinkStep,
  looksLikeLinkCode,
  nextLinkStep,
} from './logic/devices.ts'
import { fullTime } from './logic/format-time.ts'
import { describeError } from './logic/rpc-errors.ts'

export function DeviceSettings({ app }: { app: AppStore }): JSX.Element {
  const [list, setList] = useState<DeviceList | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [step, setStep] = useState<LinkStep>({ kind: 'idle' })
  const [code, setCode] = useState('')
  const [theirs, setTheirs] = useState('')
  const [asking, setAsking] = useState<DeviceRow | null>(null)
  const [revoking, setRevoking] = useState(false)

  const refresh = useCallback(() => {
    app.rpc.call('devices.list', {}).then(setList, (e: unknown) => setError(describeError(e)))
  }, [app])
  useEffect(refresh, [refresh])

  const dial = (e: Event) => {
    e.preventDefault()
    setStep((s) => nextLinkStep(s, { kind: 'dial' }))
    app.rpc.call('devices.link', { code: code.trim() }).then(
      (r) => setStep((s) => nextLinkStep(s, { kind: 'dialed', confirmation: r.confirmation })),
      (err: unknown) => setStep((s) => nextLinkStep(s, { kind: 'error', error: describeError(err) })),
    )
  }
  const confirm = (e: Event) => {
    e.preventDefault()
    const digits = confirmationDigits(theirs)
    if (digits === null) return
    setStep((s) => nextLinkStep(s, { kind: 'confirm' }))
    app.rpc.call('devices.confirm', { confirmation: digits }).then(
      (r) => {
        setStep((s) => nextLinkStep(s, { kind: 'confirmed', deviceId: r.deviceId ?? null }))
        setCode('')
        setTheirs('')
        refresh()
      },
      (err: unknown) => setStep((s) => nextLinkStep(s, { kind: 'error', error: describeError(err) })),
    )
  }
  const revoke = (row: DeviceRow) => {
    setRevoking(true)
    setError(null)
    app.rpc.call('devices.revoke', { deviceId: row.deviceId }).then(
      () => {
        setAsking(null)
        setRevoking(false)
        refresh()
      },
      (err: unknown) => {
        setRevoking(false)
        setError(describeError(err))
      },
    )
  }

  const rows = list === null ? [] : deviceRows(list)
  return (
    <div class="stack">
      <ul class="device-list" aria-label="Devices">
        {rows.map((row) => (
          <li key={row.deviceId} class="device-row" data-device-id={row.deviceId}>
            <span>
              {row.label}
              <span class="muted small"> · linked {fullTime(row.createdAt)}</span>
            </span>
            {row.revocable &&
              (asking?.deviceId === row.deviceId ? (
                <span class="row-actions">
                  <button type="button" class="danger" disabled={revoking} onClick={() => revoke(row)}>
                    Revoke {row.shortId}
                  </button>
                  <button type="button" disabled={revoking} onClick={() => setAsking(null)}>
                    Keep
                  </button>
                </span>
              ) : (
                <button type="button" onClick={() => setAsking(row)}>
                  Revoke…
                </button>
              ))}
          </li>
        ))}
      </ul>
      {asking !== null && (
        <p class="muted small">
          A revoked device can no longer read new messages: your contacts stop sending to it and groups change
          their keys. It locks itself when it is online.
        </p>
      )}
      {list !== null && list.revoked.length > 0 && <p class="muted small">{list.revoked.length} revoked.</p>}
      {(step.kind === 'idle' ||
        step.kind === 'dialing' ||
        step.kind === 'failed' ||
        step.kind === 'linked') && (
        <form class="stack" onSubmit={dial}>
          <label class="field">
            <span>Link a new device: the code it shows (wren link, or its Link screen)</span>
            <input
              value={code}
              placeholder="wren-link:…"
              spellcheck={false}
              onInput={(e) => setCode(e.currentTarget.value)}
            />
          </label>
          <button
            type="submit"
            class="primary"
            disabled={!looksLikeLinkCode(code) || step.kind === 'dialing'}
          >
            {step.kind === 'dialing' ? 'Connecting…' : 'Link device'}
          </button>
        </form>
      )}
      {(step.kind === 'compare' || step.kind === 'sending') && (
        <form class="stack" onSubmit={confirm}>
          <p>
            This device shows <strong class="mono link-number">{step.confirmation}</strong>. The new device
            shows a number too: they must be the same.
          </p>
          <label class="field">
            <span>The number the new device shows</span>
            <input
              value={theirs}
              inputMode="numeric"
              autocomplete="off"
              onInput={(e) => setTheirs(e.currentTarget.value)}
            />
          </label>
          <div class="row-actions">
            <button
              type="submit"
              class="primary"
              disabled={confirmationDigits(theirs) === null || step.kind === 'sending'}
            >
              {step.kind === 'sending' ? 'Sending your history…' : 'Confirm'}
            </button>
          </div>
        </form>
      )}
      {step.kind === 'linked' && (
        <p class="small" role="status">
          Linked. Your contacts now send to the new device too.
        </p>
      )}
      {step.kind === 'failed' && (
        <p class="error small" role="alert">
          {step.error}
        </p>
      )}
      {error && (
        <p class="error small" role="alert">
          {error}
        </p>
      )}
    </div>
  )
}
