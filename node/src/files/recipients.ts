/**
 * Who a sent file is for (issue 16): the contact of a direct chat, or the members of a group.
 * In a group the pointer rides in the Sender Key encrypted group content, and the sender's file
 * server answers the device of any current member: membership is read at every request, so a
 * member removed after the send is refused from then on, and one who joined later is served
 * (it can only ask with a pointer it was given).
 */
import type { PeerId } from '@libp2p/interface'
import { bytesEqual } from '../../../core/src/bytes.ts'
import type { GroupAttachmentHandler } from '../groups/types.ts'
import type { OutgoingAttachment } from '../messaging/app-payloads.ts'
import type { ContactRecord, MessageRecord } from '../messaging/records.ts'
import type { AttachmentRecord } from './records.ts'

/** What the files layer needs of the group layer (the GroupService in the daemon). */
export interface FilesGroups {
  /** User ids of the group's current members other than us ([] when we hold no such group). */
  members(groupId: string): readonly string[]
  /** Post a file's pointer with its caption to the group; the attachment's records go in the same batch. */
  send(conversationId: string, caption: string, attachment: OutgoingAttachment): Promise<MessageRecord>
  registerAttachments(handler: GroupAttachmentHandler): void
}

export interface RecipientDeps {
  getContact(userId: string): Promise<ContactRecord | undefined>
  /** The contact whose device is this PeerId (string form), when known without a read. */
  userOfPeer?(peerId: string): string | undefined
  readonly groups?: FilesGroups
}

async function isDeviceOf(deps: RecipientDeps, userId: string, peer: PeerId): Promise<boolean> {
  const device = (await deps.getContact(userId))?.devicePeerId ?? null
  return device !== null && bytesEqual(device, peer.toMultihash().bytes)
}

/** The user ids a sent file is for: the contact, or the group's current members. */
export function recipientsOf(deps: RecipientDeps, record: AttachmentRecord): readonly string[] {
  if (record.groupId === undefined) return [record.peerUserId]
  return deps.groups?.members(record.groupId) ?? []
}

/** Whether device `peer` may fetch the sent file of `record`. */
export async function mayFetch(
  deps: RecipientDeps,
  record: AttachmentRecord,
  peer: PeerId,
): Promise<boolean> {
  if (record.groupId === undefined) return isDeviceOf(deps, record.peerUserId, peer)
  const members = recipientsOf(deps, record)
  const known = deps.userOfPeer?.(peer.toString())
  if (known !== undefined) return members.includes(known) && isDeviceOf(deps, known, peer)
  // a device the messenger has not mapped yet: look at each member's contact record
  for (const userId of members) if (await isDeviceOf(deps, userId, peer)) return true
  return false
}
