/** Errors of profile pictures. */
import { InvalidInputError } from '../errors.ts'

/** identity.setPicture: the file is not a JPEG or PNG (by its bytes), or cannot be decoded or made small enough. */
export class PictureNotUsableError extends InvalidInputError {
  constructor(reason: string) {
    super(`the picture cannot be used: ${reason}`)
    this.name = 'PictureNotUsableError'
  }
}

/**
 * identity.setPicture: an image the daemon recognises but does not decode (WebP, GIF): convert it
 * to JPEG or PNG first (the desktop does so in the page).
 */
export class UnsupportedPictureFormatError extends PictureNotUsableError {
  readonly mediaType: string
  constructor(mediaType: string) {
    super(`${mediaType} pictures are not decoded by the daemon: convert it to JPEG or PNG first`)
    this.name = 'UnsupportedPictureFormatError'
    this.mediaType = mediaType
  }
}

/** A contact's ProfilePicture payload is malformed, too large or of an unknown version. */
export class MalformedPictureError extends Error {
  constructor(reason: string) {
    super(`malformed profile picture: ${reason}`)
    this.name = 'MalformedPictureError'
  }
}
