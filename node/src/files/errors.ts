/**
 * Named errors of files and attachments, each in one of the node's families (node/src/errors.ts),
 * which rpc/error-map.ts maps to RPC error codes. Messages name paths and ids, never contents.
 */
import { AlreadyExistsError, InvalidInputError, NotFoundError, UnavailableError } from '../errors.ts'

/** attachments.send: nothing exists at the path. */
export class FilePathNotFoundError extends NotFoundError {
  constructor(path: string) {
    super(`no file at ${path}`)
    this.name = 'FilePathNotFoundError'
  }
}

/** attachments.send: the path is a directory (or a device, a socket…), not a regular file. */
export class NotARegularFileError extends InvalidInputError {
  constructor(path: string, what: string) {
    super(`${path} is ${what}, not a file`)
    this.name = 'NotARegularFileError'
  }
}

/** attachments.send: the daemon may not read the file. */
export class FileUnreadableError extends InvalidInputError {
  constructor(path: string, code: string) {
    super(`cannot read ${path} (${code})`)
    this.name = 'FileUnreadableError'
  }
}

/** attachments.send: the file is over the largest size a file may have. */
export class FileTooLargeError extends InvalidInputError {
  constructor(path: string, size: number, max: number) {
    super(`${path} has ${size} bytes, over the ${max}-byte limit`)
    this.name = 'FileTooLargeError'
  }
}

/** attachments.send: the file changed size while it was being read. */
export class FileChangedError extends InvalidInputError {
  constructor(path: string) {
    super(`${path} changed while it was being read; send it again`)
    this.name = 'FileChangedError'
  }
}

/** No attachment on that message (or no such message). */
export class AttachmentNotFoundError extends NotFoundError {
  constructor(messageId: string) {
    super(`no attachment on message ${messageId}`)
    this.name = 'AttachmentNotFoundError'
  }
}

/** attachments.save before the file is complete here (or after it was cancelled). */
export class AttachmentNotReadyError extends UnavailableError {
  constructor(messageId: string, state: string) {
    super(`the file of message ${messageId} is ${state}, not complete`)
    this.name = 'AttachmentNotReadyError'
  }
}

/** attachments.download: only a received file that waits as 'offered' can be started. */
export class AttachmentNotOfferedError extends UnavailableError {
  constructor(messageId: string, state: string) {
    super(`the file of message ${messageId} is ${state}: only an offered file is downloaded on request`)
    this.name = 'AttachmentNotOfferedError'
  }
}

/** attachments.save: the target exists and overwrite was not asked for. */
export class SaveTargetExistsError extends AlreadyExistsError {
  constructor(path: string) {
    super(`${path} exists (pass overwrite to replace it)`)
    this.name = 'SaveTargetExistsError'
  }
}

/** attachments.save: the target cannot be written (no such folder, a directory, no permission). */
export class SaveTargetInvalidError extends InvalidInputError {
  constructor(path: string, code: string) {
    super(`cannot write ${path} (${code})`)
    this.name = 'SaveTargetInvalidError'
  }
}

/** A stored chunk failed its check when the file was saved: it is fetched again. */
export class StoredChunkCorruptError extends UnavailableError {
  constructor(index: number) {
    super(`stored chunk ${index} failed its check; it is being fetched again`)
    this.name = 'StoredChunkCorruptError'
  }
}

/** The offline path (relay blobs) carries files up to a cap; a larger one goes direct only. */
export class OfflineFileTooLargeError extends InvalidInputError {
  constructor(size: number, max: number) {
    super(`a file of ${size} bytes is over the offline path's ${max}-byte cap: it is sent directly only`)
    this.name = 'OfflineFileTooLargeError'
  }
}

/** The offline path needs relays for its replicas; with fewer the file goes direct only. */
export class NoOfflineRelaysError extends UnavailableError {
  constructor(have: number, need: number) {
    super(`the offline path needs ${need} relays and this node has ${have}: the file is sent directly only`)
    this.name = 'NoOfflineRelaysError'
  }
}
