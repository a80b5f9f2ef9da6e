/**
 * The RPC edge of files: the domain's attachment views and events (node/src/files) in the API's
 * shapes (api.ts). The compile-time checks at the end fail the build when the state lists drift.
 */
import type { FileEventName, FileEvents, FilesNotify } from '../files/events.ts'
import type { AttachmentView } from '../files/file-service.ts'
import type { AttachmentState as DomainAttachmentState } from '../files/records.ts'
import type { Attachment, EventName, EventPayload } from './api.ts'

type RpcNotify = <E extends EventName>(event: E, payload: EventPayload<E>) => void

export function toApiAttachment(view: AttachmentView): Attachment {
  return { ...view, relays: [...view.relays] }
}

/** The files layer's notify, forwarding each event to RPC clients. */
export function filesNotify(notify: RpcNotify): FilesNotify {
  const forward: { [E in FileEventName]: (payload: FileEvents[E]) => void } = {
    'attachment.progress': (payload) => notify('attachment.progress', { ...payload }),
    'attachment.state': (payload) => notify('attachment.state', { ...payload }),
  }
  return (event, payload) => forward[event](payload)
}

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const sameStates: Same<DomainAttachmentState, Attachment['state']> = true
const eventsExist: Same<FileEventName & EventName, FileEventName> = true
void [sameStates, eventsExist]
