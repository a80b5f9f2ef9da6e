/**
 * The profile's listen ports, chosen once and kept in `<profile>/network.json` (0600, not secret).
 *
 * Stable ports let `wren status` show where a daemon will listen before its identity exists or
 * while it is locked (the two-people-on-one-machine recipe needs the first daemon's address to
 * start the second), and keep the addresses on contacts' cards and friends' bootstrap lists
 * valid across restarts. A port some other program took meanwhile is replaced by a fresh one.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { networkInterfaces } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'

/** File name inside the profile folder. */
export const LISTEN_PORTS_FILE = 'network.json'
/** Version of the file's layout. */
const LISTEN_PORTS_VERSION = 1

const portsSchema = z.strictObject({
  version: z.literal(LISTEN_PORTS_VERSION),
  tcpPort: z.number().int().min(1).max(65535),
  wsPort: z.number().int().min(1).max(65535),
})

export interface ListenPorts {
  tcpPort: number
  wsPort: number
}

/** The ports of this profile: the kept ones when still free, else fresh ones (and kept). */
export async function profileListenPorts(profileDir: string): Promise<ListenPorts> {
  const path = join(profileDir, LISTEN_PORTS_FILE)
  let kept: ListenPorts | null = null
  try {
    const parsed = portsSchema.safeParse(JSON.parse(await readFile(path, 'utf8')))
    if (parsed.success) kept = { tcpPort: parsed.data.tcpPort, wsPort: parsed.data.wsPort }
  } catch {
    kept = null // missing or unreadable: choose anew
  }
  // equal ports (picked one after the other, the OS may hand the same one out twice) cannot both listen
  const usable =
    kept !== null &&
    kept.tcpPort !== kept.wsPort &&
    (await portIsFree(kept.tcpPort)) &&
    (await portIsFree(kept.wsPort))
  if (usable && kept !== null) return kept
  const [tcpPort, wsPort] = await freePorts(2)
  const fresh = { tcpPort: tcpPort as number, wsPort: wsPort as number }
  await writeFile(path, `${JSON.stringify({ version: LISTEN_PORTS_VERSION, ...fresh })}\n`, { mode: 0o600 })
  return fresh
}

/** Production listen addresses on the profile's ports (IPv6 and the rest as DEFAULT_LISTEN). */
export function listenAddrsFor(ports: ListenPorts): string[] {
  return [
    `/ip4/0.0.0.0/tcp/${ports.tcpPort}`,
    `/ip4/0.0.0.0/tcp/${ports.wsPort}/ws`,
    '/ip6/::/tcp/0',
    '/p2p-circuit',
  ]
}

/**
 * Where the node will be reachable once it runs, for status before init or unlock: the IPv4
 * TCP address on every interface (no /p2p/ suffix: the peer id exists only after `wren init`).
 */
export function plannedAddrs(ports: ListenPorts): string[] {
  const hosts = Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((i) => i.family === 'IPv4')
    .map((i) => i.address)
  return hosts.map((host) => `/ip4/${host}/tcp/${ports.tcpPort}`)
}

/** `count` distinct free ports: every listener stays open until all are chosen. */
async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer())
  try {
    return await Promise.all(
      servers.map(
        (server) =>
          new Promise<number>((resolve, reject) => {
            server.once('error', reject)
            server.listen(0, '0.0.0.0', () => {
              const address = server.address()
              resolve(typeof address === 'object' && address !== null ? address.port : 0)
            })
          }),
      ),
    )
  } finally {
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve())),
      ),
    )
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)))
  })
}
