/** What the call screens say: microphone errors, end reasons, the duration and the media path. */
import type { Call } from '../../../node/src/rpc/api.ts'

/** Why the microphone could not be opened, from getUserMedia's error name, in the user's words. */
export function microphoneErrorWords(name: string | undefined): string {
  switch (name) {
    case 'NotAllowedError':
      return 'Wren may not use your microphone. Allow it for this window in the browser (the icon at the left of the address bar, or Settings → Privacy → Microphone), then call again.'
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No microphone was found. Connect one (or pick an input device in your system settings), then call again.'
    case 'NotReadableError':
    case 'AbortError':
      return 'The microphone could not be opened: another application may be using it, or the system blocks it.'
    case 'SecurityError':
    case 'TypeError':
      return 'This window may not use a microphone (it must be opened from the Wren launcher on 127.0.0.1).'
    default:
      return 'The microphone could not be opened.'
  }
}

export type EndReason = NonNullable<Call['endReason']>

export function endReasonWords(reason: EndReason | null, direction: Call['direction']): string {
  switch (reason) {
    case 'hangup':
    case null:
      return 'Call ended'
    case 'declined':
      return direction === 'outgoing' ? 'Call declined' : 'You declined the call'
    case 'busy':
      return 'They are in another call'
    case 'timeout':
      return direction === 'outgoing' ? 'No answer' : 'Missed call'
    case 'failed-ice':
      return 'The call could not connect: no network path between you was found'
    case 'failed-decrypt':
      return 'The call was ended: its audio did not decrypt with the call keys (tampered or wrong keys)'
    case 'answered-elsewhere':
      return 'Answered on another device'
  }
}

/** A call's running time, m:ss or h:mm:ss. */
export function callDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000))
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = String(total % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`
}

/** The media path of the selected ICE candidate pair: a relay on either end means via TURN. */
export type MediaPath = 'direct' | 'relay'

export function mediaPath(localType: string | undefined, remoteType: string | undefined): MediaPath | null {
  if (localType === undefined || remoteType === undefined) return null
  return localType === 'relay' || remoteType === 'relay' ? 'relay' : 'direct'
}

export function mediaPathWords(path: MediaPath | null): string {
  if (path === null) return 'finding a path…'
  return path === 'relay' ? 'via a TURN relay' : 'direct connection'
}

/** Whether the ended screen stays until closed: failures explain themselves; a hang-up goes away. */
export function endStays(reason: EndReason | null): boolean {
  return reason === 'failed-ice' || reason === 'failed-decrypt' || reason === 'busy'
}
