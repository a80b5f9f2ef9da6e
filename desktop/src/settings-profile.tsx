/** @jsxImportSource preact */
/** Settings: the profile picture and name (both apply at once), the bootstrap peers and relays (after a restart). */
import type { JSX } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import type { Settings } from '../../node/src/rpc/api.ts'
import type { AppStore } from './logic/app-store.ts'
import { formatAddrList, needsRestart, parseAddrList } from './logic/network-settings.ts'
import { describeError } from './logic/rpc-errors.ts'
import { PictureSettings } from './settings-picture.tsx'
import { useAction } from './use-action.ts'

/** The daemon's MAX_DISPLAY_NAME_CHARS. */
const MAX_DISPLAY_NAME_CHARS = 64

export function ProfileSettings({ app }: { app: AppStore }): JSX.Element {
  const [settings, setSettings] = useState<Settings | null>(null)
  const [loadError, setLoadError] = useState<string | null>(null)
  const [name, setName] = useState('')
  const [bootstrap, setBootstrap] = useState('')
  const [relays, setRelays] = useState('')
  const [networkError, setNetworkError] = useState<string | null>(null)
  const nameAction = useAction()
  const networkAction = useAction()

  const show = (s: Settings) => {
    setSettings(s)
    setName(s.displayName)
    setBootstrap(formatAddrList(s.bootstrap))
    setRelays(formatAddrList(s.relays))
  }
  useEffect(() => {
    app.rpc.call('settings.get').then(show, (e: unknown) => setLoadError(describeError(e)))
  }, [app])

  const saveName = (e: Event) => {
    e.preventDefault()
    const trimmed = name.trim()
    if (trimmed === '') return
    void nameAction.run('name', async () => {
      const next = await app.rpc.call('settings.set', { displayName: trimmed })
      setSettings(next)
      setName(next.displayName)
      await app.loadAll()
    })
  }
  const saveNetwork = (e: Event) => {
    e.preventDefault()
    const b = parseAddrList(bootstrap)
    const r = parseAddrList(relays)
    if (!b.ok || !r.ok) {
      setNetworkError(!b.ok ? `Bootstrap peers: ${b.error}` : !r.ok ? `Relays: ${r.error}` : null)
      return
    }
    setNetworkError(null)
    void networkAction.run('network', async () =>
      show(await app.rpc.call('settings.set', { bootstrap: b.addrs, relays: r.addrs })),
    )
  }

  if (loadError !== null)
    return (
      <p class="error small" role="alert">
        {loadError}
      </p>
    )
  if (settings === null) return <p class="muted small">Loading settings…</p>
  const pending =
    needsRestart(settings.bootstrap, settings.appliedBootstrap) ||
    needsRestart(settings.relays, settings.appliedRelays)
  const netError = networkError ?? networkAction.error
  return (
    <div class="stack">
      <PictureSettings app={app} />
      <form class="stack" onSubmit={saveName} aria-label="Profile name">
        <label class="field">
          <span>Profile name</span>
          <input
            value={name}
            maxLength={MAX_DISPLAY_NAME_CHARS}
            onInput={(e) => setName(e.currentTarget.value)}
            aria-invalid={nameAction.error !== null}
          />
        </label>
        <p class="muted small">Shown on your card and to contacts in new messages.</p>
        {nameAction.error && (
          <p class="error small" role="alert">
            {nameAction.error}
          </p>
        )}
        <button
          type="submit"
          class="primary"
          disabled={nameAction.busy !== null || name.trim() === '' || name.trim() === settings.displayName}
        >
          {nameAction.busy ? 'Saving…' : 'Save name'}
        </button>
      </form>
      <form class="stack" onSubmit={saveNetwork} aria-label="Bootstrap peers and relays">
        <label class="field">
          <span>Bootstrap peers (one multiaddr a line)</span>
          <textarea
            class="mono small"
            rows={3}
            value={bootstrap}
            onInput={(e) => setBootstrap(e.currentTarget.value)}
            spellcheck={false}
          />
        </label>
        <label class="field">
          <span>Relays (one multiaddr a line, ending in /p2p/…)</span>
          <textarea
            class="mono small"
            rows={3}
            value={relays}
            onInput={(e) => setRelays(e.currentTarget.value)}
            spellcheck={false}
          />
        </label>
        <p class="muted small">Changes apply after Wren restarts.{pending ? ' A restart is pending.' : ''}</p>
        {netError && (
          <p class="error small" role="alert">
            {netError}
          </p>
        )}
        <button type="submit" class="primary" disabled={networkAction.busy !== null}>
          {networkAction.busy ? 'Saving…' : 'Save network'}
        </button>
      </form>
      <dl class="facts">
        <dt>Bootstrap in use</dt>
        <dd class="mono small">
          {settings.appliedBootstrap.length > 0
            ? settings.appliedBootstrap.map((a) => <div key={a}>{a}</div>)
            : 'none'}
        </dd>
        <dt>Relays in use</dt>
        <dd class="mono small">
          {settings.appliedRelays.length > 0
            ? settings.appliedRelays.map((a) => <div key={a}>{a}</div>)
            : 'none'}
        </dd>
      </dl>
    </div>
  )
}
