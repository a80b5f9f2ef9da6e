/**
 * The relay's data dir at start: created owner-only, and the folder itself, the mailbox store and
 * the blob store narrowed to folders 0700 and files 0600, for a store written by an older relay or by one run
 * under a loose umask. The identity key is not narrowed but refused when others could read it
 * (identity-key.ts: it may have leaked). Other entries (an operator's config file beside them)
 * are not the relay's to change.
 *
 * Files created later (LevelDB's tables and logs) get their mode from the process umask, which
 * wren-relay sets to RELAY_UMASK before anything else; a program that embeds startRelay sets its
 * own umask. Symbolic links are left alone (never followed out of the data dir).
 */
import { chmod, lstat, mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { BLOB_DIR, DATA_DIR_MODE, DATA_FILE_MODE, MAILBOX_DB_DIR } from './constants.ts'

export async function secureDataDir(dataDir: string): Promise<void> {
  await mkdir(join(dataDir, MAILBOX_DB_DIR), { recursive: true, mode: DATA_DIR_MODE })
  await mkdir(join(dataDir, BLOB_DIR), { recursive: true, mode: DATA_DIR_MODE })
  await narrowMode(dataDir, false)
  await narrowMode(join(dataDir, MAILBOX_DB_DIR), true)
  await narrowMode(join(dataDir, BLOB_DIR), true)
}

async function narrowMode(path: string, recursive: boolean): Promise<void> {
  let info: Awaited<ReturnType<typeof lstat>>
  try {
    info = await lstat(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  if (info.isDirectory()) {
    if ((info.mode & 0o777) !== DATA_DIR_MODE) await chmod(path, DATA_DIR_MODE)
    if (recursive) for (const entry of await readdir(path)) await narrowMode(join(path, entry), true)
  } else if (info.isFile() && (info.mode & 0o777) !== DATA_FILE_MODE) {
    await chmod(path, DATA_FILE_MODE)
  }
}
