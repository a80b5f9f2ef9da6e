/**
 * Preview data for message actions and file cards (screenshots only): one conversation gets a
 * pinned, edited message with reactions, a reply quoting it, a deleted message, a forwarded one
 * and a received file; attachments.get answers for that file. Not a test double: behaviour is
 * tested against real daemons (test/desktop-message-actions.test.ts).
 */
import type { Attachment, Message } from '../../node/src/rpc/api.ts'

/** The contact whose chat shows the actions in the preview. */
export const ACTIONS_CONTACT = 'Erin Lindqvist'

const MINUTE = 60_000

/** Append the showcase messages to `list` (the chat with `peer`), after its last seq. */
export function withActionShowcase(
  list: readonly Message[],
  me: string,
  peer: string,
  now: number,
): Message[] {
  const convId = `dm:${peer}`
  const seq0 = (list[list.length - 1]?.seq ?? 0) + 1
  const at = (k: number) => now - (40 - k * 5) * MINUTE
  const base = (k: number, direction: 'in' | 'out', text: string): Message => ({
    id: `${convId}:act${k}`,
    conversationId: convId,
    seq: seq0 + k,
    direction,
    sender: direction === 'out' ? me : peer,
    text,
    sentAt: at(k),
    receivedAt: direction === 'in' ? at(k) + 400 : null,
    status: 'read',
    receipts: direction === 'out' ? 2 : 0,
  })
  const plan = {
    ...base(0, 'in', 'Trailhead parking at 8:30, then the ridge loop (14 km).'),
    editedAt: at(0) + MINUTE,
    edits: [{ text: 'Trailhead parking at 9, then the ridge loop.', replacedAt: at(0) + MINUTE }],
    pinned: { by: me, at: at(1) },
    reactions: [
      { sender: me, emoji: '👍', at: at(1) },
      { sender: peer, emoji: '👍', at: at(1) + 1 },
    ],
  }
  return [
    ...list,
    plan,
    {
      ...base(1, 'out', 'Perfect, I’ll bring the map.'),
      replyTo: { messageId: plan.id, sender: peer, text: plan.text },
      reactions: [{ sender: peer, emoji: '❤️', at: at(2) }],
    },
    { ...base(2, 'in', ''), deletedAt: at(2) + MINUTE },
    { ...base(3, 'in', 'Weather: dry until 16:00, wind on the ridge.'), forwarded: true },
    {
      ...base(4, 'in', 'Route as GPX'),
      attachment: {
        fileId: 'a1b2c3d4',
        name: 'ridge-loop.gpx',
        size: 182_400,
        mediaType: 'application/gpx+xml',
      },
    },
  ]
}

/** attachments.get for a showcase file: complete, received directly. */
export function fakeAttachment(m: Message): Attachment | null {
  if (!m.attachment) return null
  return {
    messageId: m.id,
    fileId: m.attachment.fileId,
    conversationId: m.conversationId,
    direction: m.direction,
    name: m.attachment.name,
    mediaType: m.attachment.mediaType,
    size: m.attachment.size,
    state: 'complete',
    relays: [],
    via: 'direct',
    chunks: 1,
    chunkCount: 1,
    bytes: m.attachment.size,
    fetchedChunks: 1,
    refusedChunks: 0,
    servedChunks: 0,
  }
}
