/**
 * The auto-download policy (issue 16: "images yes, files ask"): which received files are fetched
 * as they arrive and which wait as 'offered' until attachments.download. Images (the pointer's
 * media type, set from the bytes on the sending side, is one of the inline image types) and
 * other files each have a switch; neither is fetched unasked over the size limit, so no contact
 * fills the disk. Only the fields the user set are stored (one record, FIXED_KEYS.fileSettings).
 */
import type { FilePointer } from '../../../core/src/file/pointer.ts'
import { FIXED_KEYS } from '../storage/layout.ts'
import type { SealedStore } from '../storage/sealed-store.ts'
import { AUTO_DOWNLOAD_MAX_BYTES } from './constants.ts'
import { INLINE_IMAGE_TYPES } from './image-sniff.ts'
import { AUTO_DOWNLOAD_RECORD, type AutoDownloadRecord } from './records.ts'

const MIB = 1024 * 1024

/** The policy in force. */
export interface AutoDownload {
  /** Received images are fetched unasked (up to maxBytes). */
  readonly images: boolean
  /** Received files that are not images are fetched unasked (up to maxBytes). */
  readonly files: boolean
  /** Largest file fetched unasked, bytes. */
  readonly maxBytes: number
}

/** Until the user changes them: images yes, other files ask (the policy). */
export const DEFAULT_AUTO_DOWNLOAD_IMAGES = true
export const DEFAULT_AUTO_DOWNLOAD_FILES = false

const IMAGE_TYPES: ReadonlySet<string> = new Set(INLINE_IMAGE_TYPES)

/** The policy from what is stored; `defaultMaxBytes` is the daemon's limit (--auto-download-mb). */
export function policyOf(
  stored: AutoDownloadRecord,
  defaultMaxBytes = AUTO_DOWNLOAD_MAX_BYTES,
): AutoDownload {
  return {
    images: stored.images ?? DEFAULT_AUTO_DOWNLOAD_IMAGES,
    files: stored.files ?? DEFAULT_AUTO_DOWNLOAD_FILES,
    maxBytes: stored.maxMb === undefined ? defaultMaxBytes : stored.maxMb * MIB,
  }
}

/** Whether a received file is fetched as it arrives. */
export function fetchesUnasked(
  policy: AutoDownload,
  pointer: Pick<FilePointer, 'mediaType' | 'size'>,
): boolean {
  if (pointer.size > policy.maxBytes) return false
  return IMAGE_TYPES.has(pointer.mediaType) ? policy.images : policy.files
}

export async function readAutoDownload(store: SealedStore): Promise<AutoDownloadRecord> {
  return (await store.read(FIXED_KEYS.fileSettings, AUTO_DOWNLOAD_RECORD)) ?? {}
}

/** Store the given changes on top of what the user set before; returns what is stored now. */
export async function updateAutoDownload(
  store: SealedStore,
  changes: AutoDownloadRecord,
): Promise<AutoDownloadRecord> {
  const next = { ...(await readAutoDownload(store)), ...dropUndefined(changes) }
  await store.write(FIXED_KEYS.fileSettings, AUTO_DOWNLOAD_RECORD, next)
  return next
}

function dropUndefined(changes: AutoDownloadRecord): AutoDownloadRecord {
  return Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined))
}
