/**
 * What profile pictures keep in the profile database (storage/layout.ts): our own picture at
 * FIXED_KEYS.ownPicture and each contact's newest at av/b(userId). A removal is kept as a record
 * with an empty jpeg, so an older picture arriving late (a mailbox copy) cannot bring it back.
 */
import { z } from 'zod'
import { recordBytes, versionedRecord } from '../storage/stored-record.ts'

export const PictureRecordSchema = z.object({
  /** When the owner set (or removed) it, ms since the Unix epoch: the newest wins. */
  setAt: z.number().int().min(0),
  /** A JPEG of at most PICTURE_SIDE_PX a side and PICTURE_MAX_BYTES, no metadata; empty: none. */
  jpeg: recordBytes,
})
export type PictureRecord = z.output<typeof PictureRecordSchema>
export const PICTURE_RECORD = versionedRecord('profile picture', PictureRecordSchema)
