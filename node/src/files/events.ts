/**
 * What the files layer announces, in its own shapes; the runtime forwards them to RPC clients as
 * events of the same names (rpc/api.ts declares them; the shapes are checked there at compile time).
 */
import type { AttachmentState } from './records.ts'

export interface FileEvents {
  /** More of a file arrived (at most every PROGRESS_EVENT_INTERVAL_MS, and at the end). */
  'attachment.progress': {
    readonly messageId: string
    readonly fileId: string
    readonly chunks: number
    readonly chunkCount: number
    readonly bytes: number
    readonly size: number
  }
  /** A transfer changed state (downloading, complete, failed, cancelled), or why it waits. */
  'attachment.state': {
    readonly messageId: string
    readonly fileId: string
    readonly state: AttachmentState
    readonly error?: string
  }
}

export type FileEventName = keyof FileEvents
export type FilesNotify = <E extends FileEventName>(event: E, payload: FileEvents[E]) => void
