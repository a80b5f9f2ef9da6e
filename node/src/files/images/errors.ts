/**
 * Errors of image handling. MalformedImageError is internal (a parser's refusal, caught at the
 * send path); ImageNotStrippableError is what attachments.send reports (INVALID_INPUT): an image
 * whose metadata cannot be stripped is never sent with it.
 */
import { InvalidInputError } from '../../errors.ts'

/** The bytes start like an image of a format but do not follow its structure. */
export class MalformedImageError extends Error {
  constructor(format: string, reason: string) {
    super(`malformed ${format}: ${reason}`)
    this.name = 'MalformedImageError'
  }
}

/**
 * attachments.send: the file is an image (by its bytes) whose metadata cannot be removed
 * (malformed or truncated, or over the size stripping handles); it is refused rather than sent
 * with its EXIF or location.
 */
export class ImageNotStrippableError extends InvalidInputError {
  constructor(path: string, reason: string) {
    super(`${path} looks like an image but its metadata cannot be removed (${reason}); it was not sent`)
    this.name = 'ImageNotStrippableError'
  }
}
