/**
 * Profiles on disk. WREN_HOME (default ~/.wren) holds one folder per profile:
 *
 *   <home>/<profile>/keystore.json   sealed secrets (storage/keystore.ts)
 *   <home>/<profile>/rpc-token       bearer token of the RPC server (64 hex chars)
 *   <home>/<profile>/daemon.json     { rpcPort, pid } while a daemon serves the profile
 *   <home>/<profile>/db/             LevelDB, every value sealed (storage/sealed-store.ts)
 *
 * Folders are 0700 and files 0600; openProfile checks and repairs the modes every time.
 */
import { constants } from 'node:fs'
import { access, chmod, lstat, mkdir, readdir, stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { PROFILE_DIR_MODE, PROFILE_FILE_MODE } from '../storage/atomic-file.ts'
import { ProfileAccessError, ProfileError } from './errors.ts'

export const DEFAULT_PROFILE = 'default'
/** Name of the folder under the user's home when WREN_HOME is not set. */
export const DEFAULT_HOME_DIRNAME = '.wren'
/** Profile names become folder names: letters, digits, '-' and '_', at most 64 characters. */
export const PROFILE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/
/** How deep openProfile walks to repair modes: the profile folder and db/ inside it. */
const MODE_REPAIR_DEPTH = 2

export interface ProfilePaths {
  readonly home: string
  readonly name: string
  readonly dir: string
  readonly keystore: string
  readonly rpcToken: string
  readonly daemonInfo: string
  readonly db: string
}

export function resolveHome(home?: string): string {
  return home ?? process.env.WREN_HOME ?? join(homedir(), DEFAULT_HOME_DIRNAME)
}

export function profilePaths(home: string, name: string = DEFAULT_PROFILE): ProfilePaths {
  if (!PROFILE_NAME_PATTERN.test(name))
    throw new ProfileError('ERR_PROFILE_NAME', `invalid profile name ${JSON.stringify(name)}`)
  const dir = join(home, name)
  return {
    home,
    name,
    dir,
    keystore: join(dir, 'keystore.json'),
    rpcToken: join(dir, 'rpc-token'),
    daemonInfo: join(dir, 'daemon.json'),
    db: join(dir, 'db'),
  }
}

/** Create the home and profile folders if needed (0700) and repair modes of what is inside. */
export async function openProfile(options: { home?: string; profile?: string } = {}): Promise<ProfilePaths> {
  const paths = profilePaths(resolveHome(options.home), options.profile ?? DEFAULT_PROFILE)
  try {
    await mkdir(paths.home, { recursive: true, mode: PROFILE_DIR_MODE })
    await chmod(paths.home, PROFILE_DIR_MODE)
    await mkdir(paths.dir, { recursive: true, mode: PROFILE_DIR_MODE })
    await repairModes(paths.dir, MODE_REPAIR_DEPTH)
  } catch (error) {
    throw await explainFolderError(paths, error)
  }
  return paths
}

/**
 * The error to report for a failure to use the profile's folders: a ProfileAccessError that
 * says exactly what is wrong (a file where a folder should be, no permission) when the folders
 * show it, else the original error.
 */
export async function explainFolderError(paths: ProfilePaths, error: unknown): Promise<Error> {
  const why = await folderProblem(paths)
  if (why !== null) return new ProfileAccessError(why, { cause: error })
  return error instanceof Error ? error : new Error(String(error))
}

/** What keeps WREN_HOME or the profile folder from being used, as a sentence; null if nothing. */
export async function folderProblem(paths: ProfilePaths): Promise<string | null> {
  const folders: ReadonlyArray<readonly [string, string]> = [
    [`WREN_HOME (${paths.home})`, paths.home],
    [`the folder of profile ${paths.name} (${paths.dir})`, paths.dir],
  ]
  const fix = 'fix it, or set WREN_HOME (or --home) to a folder of yours'
  for (const [label, dir] of folders) {
    let info: Awaited<ReturnType<typeof stat>>
    try {
      info = await stat(dir)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT') return null // nothing there yet: the daemon creates it
      if (code === 'ENOTDIR') return `${label} cannot be a folder: part of that path is a file; ${fix}`
      if (code === 'EACCES')
        return `${label} cannot be reached: a folder above it does not let you in (permission denied); ${fix}`
      return null
    }
    if (!info.isDirectory()) return `${label} is a file, not a folder; ${fix}`
    try {
      await access(dir, constants.R_OK | constants.W_OK | constants.X_OK)
    } catch {
      const mode = (info.mode & 0o777).toString(8).padStart(4, '0')
      return `${label} is not readable and writable by you (owner uid ${info.uid}, mode ${mode}); ${fix}`
    }
  }
  return null
}

/** Folders → 0700, regular files → 0600, down to `depth` levels; symlinks are left alone. */
export async function repairModes(dir: string, depth: number): Promise<void> {
  await chmod(dir, PROFILE_DIR_MODE)
  if (depth <= 0) return
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) await repairModes(path, depth - 1)
    else if (entry.isFile()) {
      const info = await lstat(path)
      if ((info.mode & 0o777) !== PROFILE_FILE_MODE) await chmod(path, PROFILE_FILE_MODE)
    }
  }
}
