/**
 * Write a profile file atomically with owner-only permissions: write a temp file in the same
 * folder (mode 0600), fsync it, rename it over the target, then fsync the folder so the rename
 * survives a crash. Readers see either the old or the new content, never a torn write.
 */
import { randomBytes } from 'node:crypto'
import { open, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/** Mode of every file in a profile: owner read/write only. */
export const PROFILE_FILE_MODE = 0o600
/** Mode of every folder in a profile: owner only. */
export const PROFILE_DIR_MODE = 0o700

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const handle = await open(tmp, 'wx', PROFILE_FILE_MODE)
  try {
    await handle.writeFile(data)
    await handle.chmod(PROFILE_FILE_MODE) // umask may have narrowed or the fs ignored the open mode
    await handle.sync()
  } catch (error) {
    await handle.close()
    await rm(tmp, { force: true })
    throw error
  }
  await handle.close()
  try {
    await rename(tmp, path)
  } catch (error) {
    await rm(tmp, { force: true })
    throw error
  }
  await syncDir(dirname(path))
}

async function syncDir(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined
  try {
    handle = await open(dir, 'r')
    await handle.sync()
  } catch {
    // Some platforms/filesystems cannot fsync a directory; the rename is still atomic.
  } finally {
    await handle?.close()
  }
}
