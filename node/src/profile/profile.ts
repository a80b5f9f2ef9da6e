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
import { chmod, lstat, mkdir, readdir } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { PROFILE_DIR_MODE, PROFILE_FILE_MODE } from '../storage/atomic-file.ts'
import { ProfileError } from './errors.ts'

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
  await mkdir(paths.home, { recursive: true, mode: PROFILE_DIR_MODE })
  await mkdir(paths.dir, { recursive: true, mode: PROFILE_DIR_MODE })
  await chmod(paths.home, PROFILE_DIR_MODE)
  await repairModes(paths.dir, MODE_REPAIR_DEPTH)
  return paths
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
