/** @jsxImportSource preact */
/** Settings: which received files the daemon fetches unasked (attachments.settings), from the next file. */
import type { JSX } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import type { AutoDownload } from '../../node/src/rpc/api.ts'
import type { AppStore } from './logic/app-store.ts'
import { describeError } from './logic/rpc-errors.ts'

export function FileSettings({ app }: { app: AppStore }): JSX.Element {
  const [policy, setPolicy] = useState<AutoDownload | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    app.rpc.call('attachments.settings', {}).then(
      (s) => setPolicy(s.autoDownload),
      (e: unknown) => setError(describeError(e)),
    )
  }, [app])
  const change = (next: { images?: boolean; files?: boolean }) => {
    setError(null)
    app.rpc.call('attachments.settings', { autoDownload: next }).then(
      (s) => setPolicy(s.autoDownload),
      (e: unknown) => setError(describeError(e)),
    )
  }
  return (
    <div class="stack">
      <label class="check">
        <input
          type="checkbox"
          checked={policy?.images === true}
          disabled={policy === null}
          onChange={(e) => change({ images: e.currentTarget.checked })}
        />
        <span>Download images automatically</span>
      </label>
      <label class="check">
        <input
          type="checkbox"
          checked={policy?.files === true}
          disabled={policy === null}
          onChange={(e) => change({ files: e.currentTarget.checked })}
        />
        <span>Download other files automatically</span>
      </label>
      <p class="muted small">
        Anything else waits in the chat with a Download button
        {policy ? `, and so does anything over ${policy.maxMb} MB` : ''}.
      </p>
      {error && (
        <p class="error small" role="alert">
          {error}
        </p>
      )}
    </div>
  )
}
