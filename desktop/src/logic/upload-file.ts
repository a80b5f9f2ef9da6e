/**
 * One file from the page to the daemon's attachments endpoint (same origin, forwarded by
 * desktop/server.ts): XMLHttpRequest rather than fetch, because it reports upload progress.
 * The browser streams the File from disk; the page never holds it whole.
 */
import type { Message } from '../../../node/src/rpc/api.ts'
import { uploadErrorWords, uploadUrl } from './attachment-view.ts'

export interface UploadCallbacks {
  /** Bytes sent so far. */
  progress(sent: number): void
  /** Every byte is with the daemon (it now seals the file and sends the message). */
  uploaded(): void
}

export interface UploadHandle {
  /** Resolves with the sent message; rejects with an Error whose message the view shows. */
  readonly done: Promise<Message>
  abort(): void
}

export function uploadFile(conversationId: string, file: File, on: UploadCallbacks): UploadHandle {
  const xhr = new XMLHttpRequest()
  const done = new Promise<Message>((resolve, reject) => {
    xhr.upload.onprogress = (e) => on.progress(e.loaded)
    xhr.upload.onload = () => on.uploaded()
    xhr.onload = () => {
      if (xhr.status === 200) {
        try {
          resolve((JSON.parse(xhr.responseText) as { message: Message }).message)
        } catch {
          reject(new Error('the daemon’s answer could not be read'))
        }
      } else reject(new Error(uploadErrorWords(xhr.status, xhr.responseText)))
    }
    xhr.onerror = () => reject(new Error(uploadErrorWords(0, '')))
    xhr.onabort = () => reject(new Error('cancelled'))
  })
  xhr.open('POST', uploadUrl(conversationId, file.name))
  xhr.setRequestHeader('content-type', 'application/octet-stream')
  xhr.send(file)
  return { done, abort: () => xhr.abort() }
}
