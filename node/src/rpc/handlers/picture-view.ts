/** A profile picture (node/src/avatar) as the API shows it: base64 JPEG, or null. */
import type { Picture } from '../../avatar/picture-service.ts'

export function pictureView(picture: Picture | null): { setAt: number; jpeg: string } | null {
  return picture === null
    ? null
    : { setAt: picture.setAt, jpeg: Buffer.from(picture.jpeg).toString('base64') }
}
