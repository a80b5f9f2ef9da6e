/** @jsxImportSource preact */
/**
 * Ephemeral chat (issue 19 item 1): create a room and give its code to one person, or join with
 * theirs; then a plain chat with the room's state and Leave. Nothing is stored: the daemon holds
 * the room in memory (rooms.*), and this page holds its lines in component state only. Closing
 * the screen leaves the room.
 */
import type { JSX } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import { Dialog } from './dialog.tsx'
import type { AppStore } from './logic/app-store.ts'
import { MAX_ROOM_TEXT_CHARS, ROOM_STATE_WORDS, type RoomView, roomReduce } from './logic/room-view.ts'
import { useAction } from './use-action.ts'

export function RoomScreen({ app, onClose }: { app: AppStore; onClose: () => void }): JSX.Element {
  const [view, setView] = useState<RoomView | null>(null)
  const [code, setCode] = useState('')
  const [text, setText] = useState('')
  const action = useAction()
  const roomId = useRef<string | null>(null)

  useEffect(() => {
    const offs = [
      app.rpc.on('room.state', (payload) => setView((v) => v && roomReduce(v, { kind: 'state', payload }))),
      app.rpc.on('room.message', (payload) =>
        setView((v) => v && roomReduce(v, { kind: 'message', payload })),
      ),
    ]
    return () => {
      for (const off of offs) off()
      // closing the screen leaves the room: nothing of it outlives the page's view
      if (roomId.current !== null)
        void app.rpc.call('rooms.leave', { roomId: roomId.current }).catch(() => {})
    }
  }, [app])

  const enter = (summary: {
    roomId: string
    code: string
    role: 'created' | 'joined'
    state: RoomView['state']
  }) => {
    roomId.current = summary.roomId
    setView({ ...summary, ended: null, lines: [] })
    setCode('')
  }
  const create = () => action.run('create', async () => enter(await app.rpc.call('rooms.create', {})))
  const join = (e: Event) => {
    e.preventDefault()
    void action.run('join', async () => enter(await app.rpc.call('rooms.join', { code })))
  }
  const send = (e: Event) => {
    e.preventDefault()
    if (view === null || text.trim() === '') return
    void action.run('send', async () => {
      await app.rpc.call('rooms.send', { roomId: view.roomId, text })
      setText('')
    })
  }
  const leave = () =>
    action.run('leave', async () => {
      if (view !== null && view.state !== 'destroyed')
        await app.rpc.call('rooms.leave', { roomId: view.roomId })
    })
  const again = () => {
    roomId.current = null
    setView(null)
  }

  return (
    <Dialog title="Ephemeral chat" onClose={onClose} wide>
      {view === null ? (
        <div class="stack room-start">
          <p class="muted">
            A chat with one person who has the same code. Nothing is saved, on this device or anywhere; the
            room ends when either of you leaves.
          </p>
          <button type="button" class="primary" onClick={() => void create()} disabled={action.busy !== null}>
            New room
          </button>
          <form class="room-form" onSubmit={join} noValidate>
            <label class="field room-grow">
              <span>Join with a code</span>
              <input
                value={code}
                maxLength={48}
                autoComplete="off"
                spellcheck={false}
                placeholder="ABCD-EFGH-JKMN"
                onInput={(e) => setCode(e.currentTarget.value)}
              />
            </label>
            <button type="submit" disabled={action.busy !== null || code.trim() === ''}>
              Join
            </button>
          </form>
        </div>
      ) : (
        <div class="stack room-chat">
          <p class="room-code">
            Room code: <strong data-room-code>{view.code}</strong>
            {view.role === 'created' && view.state === 'searching' && ' — give it to the other person'}
          </p>
          <output class="room-state" data-state={view.state} aria-live="polite">
            {view.ended ?? ROOM_STATE_WORDS[view.state]}
          </output>
          <ol class="room-lines" aria-label="Room messages">
            {view.lines.map((line, i) => (
              <li key={i} class={`room-line ${line.from}`}>
                <span class="sr-only">{line.from === 'me' ? 'You: ' : 'Them: '}</span>
                {line.text}
              </li>
            ))}
          </ol>
          {view.state !== 'destroyed' ? (
            <form class="room-form" onSubmit={send} noValidate>
              <input
                class="room-grow"
                aria-label="Message"
                value={text}
                maxLength={MAX_ROOM_TEXT_CHARS}
                disabled={view.state !== 'connected'}
                onInput={(e) => setText(e.currentTarget.value)}
              />
              <button type="submit" disabled={view.state !== 'connected' || action.busy !== null}>
                Send
              </button>
              <button type="button" class="danger" onClick={() => void leave()}>
                Leave
              </button>
            </form>
          ) : (
            <button type="button" onClick={again}>
              Start or join another room
            </button>
          )}
        </div>
      )}
      {action.error && (
        <p class="error-text" role="alert">
          {action.error}
        </p>
      )}
    </Dialog>
  )
}
