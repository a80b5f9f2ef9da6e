/**
 * What the files layer announces, in its own shapes; the runtime forwards them to RPC clients as
 * events of the same names (rpc/api.ts declares them; the shapes are checked there at compile time).
 */
import type { AttachmentState } from './records.ts'

/** Where a received file's chunks come from: the sender's device, or the relay replicas. */
export type TransferPath = 'direct' | 'relay'

export interface FileEvents {
  /**
   * More of a file arrived, or (sent) more of it is on the relays (at most every
   * PROGRESS_EVENT_INTERVAL_MS, and at the end).
   */
  'attachment.progress': {
    readonly messageId: string
    readonly fileId: string
    readonly chunks: number
    readonly chunkCount: number
    readonly bytes: number
    readonly size: number
  }
  /** A transfer changed state (uploading, uploaded, downloading, complete…), or why it waits. */
  'attachment.state': {
    readonly messageId: string
    readonly fileId: string
    readonly state: AttachmentState
    /** With downloading: where the chunks come from now. */
    readonly via?: TransferPath
    readonly error?: string
  }
}

export type FileEventName = keyof FileEvents
export type FilesNotify = <E extends FileEventName>(event: E, payload: FileEvents[E]) => void
