/**
 * The ProfilePicture app payload (proto/picture.proto): encoded by the owner, parsed once at the
 * edge on a contact's daemon. The parser caps the size before decoding, checks the version, and
 * accepts only a JPEG no larger than PICTURE_MAX_BYTES whose frame is at most PICTURE_SIDE_PX a
 * side (read from its header, metadata stripped: a contact's picture carries nothing else).
 */
import { MalformedImageError } from '../files/images/errors.ts'
import { stripImageMetadata } from '../files/images/strip-metadata.ts'
import {
  MAX_PICTURE_PAYLOAD_BYTES,
  PICTURE_MAX_BYTES,
  PICTURE_PAYLOAD_VERSION,
  PICTURE_SIDE_PX,
} from './constants.ts'
import { MalformedPictureError } from './errors.ts'
import { ProfilePicture } from './proto/picture.ts'

/** A contact's picture as parsed: an empty jpeg means they removed theirs. */
export interface PictureUpdate {
  readonly setAt: number
  readonly jpeg: Uint8Array
}

export function encodePicturePayload(update: PictureUpdate): Uint8Array {
  return ProfilePicture.encode({
    version: PICTURE_PAYLOAD_VERSION,
    setAt: BigInt(update.setAt),
    jpeg: new Uint8Array(update.jpeg),
  })
}

/** The update in `bytes`; MalformedPictureError for anything else. */
export function decodePicturePayload(bytes: Uint8Array): PictureUpdate {
  if (bytes.length > MAX_PICTURE_PAYLOAD_BYTES)
    throw new MalformedPictureError(`over ${MAX_PICTURE_PAYLOAD_BYTES} bytes`)
  let proto: ProfilePicture
  try {
    proto = ProfilePicture.decode(bytes)
  } catch (error) {
    throw new MalformedPictureError(`not a ProfilePicture (${(error as Error)?.message ?? 'unknown'})`)
  }
  if (proto.version !== PICTURE_PAYLOAD_VERSION)
    throw new MalformedPictureError(`unknown version ${proto.version}`)
  if (proto.setAt > BigInt(Number.MAX_SAFE_INTEGER)) throw new MalformedPictureError('setAt out of range')
  const setAt = Number(proto.setAt)
  if (proto.jpeg.length === 0) return { setAt, jpeg: new Uint8Array(0) }
  if (proto.jpeg.length > PICTURE_MAX_BYTES)
    throw new MalformedPictureError(`over ${PICTURE_MAX_BYTES} bytes`)
  let image: ReturnType<typeof stripImageMetadata>
  try {
    image = stripImageMetadata(proto.jpeg)
  } catch (error) {
    if (error instanceof MalformedImageError) throw new MalformedPictureError(error.message)
    throw error
  }
  if (image === null || image.type !== 'image/jpeg') throw new MalformedPictureError('not a JPEG')
  if (image.width < 1 || image.height < 1 || image.width > PICTURE_SIDE_PX || image.height > PICTURE_SIDE_PX)
    throw new MalformedPictureError(
      `frame ${image.width}×${image.height} is not within ${PICTURE_SIDE_PX} px`,
    )
  return { setAt, jpeg: new Uint8Array(image.bytes) }
}
