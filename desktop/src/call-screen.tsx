/** @jsxImportSource preact */
/** The call screens: incoming (accept / decline, ringtone), ringing out, in call (mute, hang-up,
 * duration, path, quality), ended. */
import type { JSX } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import { Avatar } from './avatar.tsx'
import { Icon } from './icons.tsx'
import { qualityWords } from './logic/call-quality.ts'
import type { CallStore, CallView } from './logic/call-store.ts'
import { callDuration, endReasonWords, mediaPathWords } from './logic/call-words.ts'
import { Ringtone } from './ringtone.ts'
import { useStore } from './use-store.ts'

/** How often the duration on the in-call screen is redrawn, in ms. */
const DURATION_TICK_MS = 1_000

function RemoteAudio({ stream }: { stream: MediaStream }): JSX.Element {
  const ref = useRef<HTMLAudioElement>(null)
  useEffect(() => {
    const el = ref.current
    if (!el) return
    el.srcObject = stream
    void el.play().catch(() => {
      // autoplay refused: the accept/call click is a user gesture, so this is rare
    })
  }, [stream])
  // biome-ignore lint/a11y/useMediaCaption: a live call's audio has no caption track to offer
  return <audio ref={ref} class="call-audio" autoplay />
}

function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    if (!active) return
    const t = setInterval(() => setNow(Date.now()), DURATION_TICK_MS)
    return () => clearInterval(t)
  }, [active])
  return now
}

/** Rings while `on`: stops when the call is accepted, declined or ends, or the screen goes away. */
function useRingtone(on: boolean): boolean {
  const [playing, setPlaying] = useState(false)
  useEffect(() => {
    if (!on) return
    const ringtone = new Ringtone()
    ringtone.start()
    setPlaying(ringtone.playing)
    return () => {
      ringtone.stop()
      setPlaying(false)
    }
  }, [on])
  return playing
}

function statusLine(c: CallView, now: number): string {
  switch (c.state) {
    case 'incoming':
      return 'Incoming voice call'
    case 'ringing':
      return c.remoteRinging ? 'Ringing…' : 'Calling…'
    case 'connecting':
      return 'Connecting…'
    case 'connected':
      return c.connectedAt === null ? 'Connected' : callDuration(now - c.connectedAt)
    case 'ended':
      return c.error !== null && c.endReason === null
        ? 'Call failed'
        : endReasonWords(c.endReason, c.direction)
  }
}

export function CallScreen({
  calls,
  nameOf,
  silent,
}: {
  calls: CallStore
  nameOf: (userId: string) => string
  /** No ringtone for this caller (their conversation is muted). */
  silent: (userId: string) => boolean
}): JSX.Element | null {
  const { current: c } = useStore(calls)
  const now = useNow(c?.state === 'connected')
  const ringing = useRingtone(c?.state === 'incoming' && !silent(c.peerUserId))
  if (c === null) return null
  const name = nameOf(c.peerUserId)
  const inCall = c.state === 'connecting' || c.state === 'connected'
  return (
    <section
      class={`call-screen call-${c.state}`}
      role={c.state === 'incoming' ? 'alertdialog' : 'dialog'}
      aria-label={c.state === 'incoming' ? `Incoming call from ${name}` : `Call with ${name}`}
      data-call-state={c.state}
      data-end-reason={c.endReason ?? ''}
      data-frames-opened={c.framesOpened}
      data-frames-failed={c.framesFailed}
      data-ringtone={ringing ? 'on' : 'off'}
    >
      <Avatar name={name} id={c.peerUserId} size={88} />
      <h2 class="call-name">{name}</h2>
      <p class="call-status" role="status">
        {statusLine(c, now)}
      </p>
      {c.state === 'connected' && (
        <p class="muted small call-path" data-path={c.path ?? ''} data-candidates={c.candidates ?? ''}>
          {mediaPathWords(c.path)}
          {c.rttMs !== null && ` · ${c.rttMs} ms`} · end-to-end encrypted audio
        </p>
      )}
      {c.state === 'connected' && c.quality !== null && (
        <p class={`small call-quality quality-${c.quality}`} data-quality={c.quality}>
          <span class="quality-bars" aria-hidden="true">
            <span />
            <span />
            <span />
          </span>{' '}
          {qualityWords(c.quality)}
        </p>
      )}
      {c.error && (
        <p class="error call-error" role="alert">
          {c.error}
        </p>
      )}
      {c.remoteStream && c.state !== 'ended' && <RemoteAudio stream={c.remoteStream} />}
      <div class="call-actions">
        {c.state === 'incoming' && (
          <>
            <button type="button" class="call-button call-decline" onClick={() => void calls.decline()}>
              <Icon name="phone-off" /> Decline
            </button>
            <button type="button" class="call-button call-accept" onClick={() => void calls.accept()}>
              <Icon name="phone" /> Accept
            </button>
          </>
        )}
        {(inCall || c.state === 'ringing') && (
          <>
            <button
              type="button"
              class={`call-button call-mute${c.muted ? ' active' : ''}`}
              aria-pressed={c.muted}
              onClick={() => calls.setMuted(!c.muted)}
            >
              <Icon name={c.muted ? 'mic-off' : 'mic'} /> {c.muted ? 'Unmute' : 'Mute'}
            </button>
            <button type="button" class="call-button call-decline" onClick={() => void calls.hangup()}>
              <Icon name="phone-off" /> Hang up
            </button>
          </>
        )}
        {c.state === 'ended' && (
          <button type="button" class="secondary" onClick={() => calls.dismiss()}>
            Close
          </button>
        )}
      </div>
    </section>
  )
}
