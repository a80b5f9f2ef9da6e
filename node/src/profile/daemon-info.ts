/**
 * The two small files through which clients find a running daemon: `rpc-token` (a random
 * 32-byte bearer token as hex, created on first start) and `daemon.json` ({ rpcPort, pid },
 * written once the server listens, removed on a clean stop).
 */
import { randomBytes } from 'node:crypto'
import { readFile, rm } from 'node:fs/promises'
import { z } from 'zod'
import { writeFileAtomic } from '../storage/atomic-file.ts'
import { DaemonNotRunningError, ProfileError, ProfileInUseError } from './errors.ts'
import { explainFolderError, type ProfilePaths } from './profile.ts'

/** Bearer token length in bytes: 256 bits, unguessable. */
export const RPC_TOKEN_BYTES = 32
const TOKEN_PATTERN = new RegExp(`^[0-9a-f]{${RPC_TOKEN_BYTES * 2}}$`)
/** Largest daemon.json accepted, in bytes: two small numbers. */
const MAX_DAEMON_INFO_BYTES = 4096

export interface DaemonInfo {
  readonly rpcPort: number
  readonly pid: number
}

const daemonInfoSchema = z.strictObject({
  rpcPort: z.number().int().min(1).max(65535),
  pid: z.number().int().min(1),
})

/** The profile's token, created (0600) when absent. */
export async function ensureRpcToken(paths: ProfilePaths): Promise<string> {
  const existing = await readRpcToken(paths).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  })
  if (existing !== undefined) return existing
  const token = randomBytes(RPC_TOKEN_BYTES).toString('hex')
  await writeFileAtomic(paths.rpcToken, `${token}\n`)
  return token
}

export async function readRpcToken(paths: ProfilePaths): Promise<string> {
  const token = (await readFile(paths.rpcToken, 'utf8')).trim()
  if (!TOKEN_PATTERN.test(token))
    throw new ProfileError('ERR_RPC_TOKEN', `malformed rpc token in ${paths.rpcToken}`)
  return token
}

export async function writeDaemonInfo(paths: ProfilePaths, info: DaemonInfo): Promise<void> {
  await writeFileAtomic(paths.daemonInfo, `${JSON.stringify(info)}\n`)
}

/** daemon.json of a running daemon; DaemonNotRunningError when absent, malformed or stale. */
export async function readDaemonInfo(paths: ProfilePaths): Promise<DaemonInfo> {
  let text: string
  try {
    text = await readFile(paths.daemonInfo, 'utf8')
  } catch (error) {
    const explained = await explainFolderError(paths, error)
    if (explained instanceof ProfileError) throw explained
    throw new DaemonNotRunningError(`no daemon running for profile ${paths.name} (no ${paths.daemonInfo})`)
  }
  let parsed: DaemonInfo
  try {
    if (text.length > MAX_DAEMON_INFO_BYTES) throw new Error('too large')
    parsed = daemonInfoSchema.parse(JSON.parse(text))
  } catch {
    throw new DaemonNotRunningError(`malformed ${paths.daemonInfo}`)
  }
  if (!isAlive(parsed.pid))
    throw new DaemonNotRunningError(
      `daemon for profile ${paths.name} is not running (stale pid ${parsed.pid})`,
    )
  return parsed
}

/** Refuse to start a second daemon on a profile whose recorded daemon is still alive. */
export async function assertProfileFree(paths: ProfilePaths): Promise<void> {
  try {
    const info = await readDaemonInfo(paths)
    if (info.pid !== process.pid) throw new ProfileInUseError(info.pid)
  } catch (error) {
    if (error instanceof DaemonNotRunningError) return
    throw error
  }
}

export async function removeDaemonInfo(paths: ProfilePaths): Promise<void> {
  await rm(paths.daemonInfo, { force: true })
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
