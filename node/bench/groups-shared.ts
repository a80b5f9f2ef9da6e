/**
 * What the group fan-out benchmark (groups.bench.ts) and its worker processes (groups-worker.ts)
 * share: the members' addresses, the topic, the bench's framing and the IPC messages.
 */

/** Random dials per member: a sparse graph; gossipsub builds its mesh (D = 6) on top. */
export const DIALS_PER_NODE = 4
export const TOPIC = 'wren-bench-topic'

/** Member `i`'s own loopback address: 127.3.x.y (250 hosts per /24). */
export function memberAddress(i: number): string {
  return `127.3.${Math.floor(i / 250)}.${(i % 250) + 1}`
}

/** Absolute time in ms with sub-millisecond precision, comparable across processes. */
export function nowAbsolute(): number {
  return performance.timeOrigin + performance.now()
}

export type GroupsWorkerCommand =
  | { type: 'hosts'; indices: number[] }
  | { type: 'dial'; size: number; addrs: string[][] }
  | { type: 'subscribe'; distributions: Uint8Array[] }
  | { type: 'mesh' }
  | { type: 'publish'; sender: number; message: number }
  | { type: 'stop' }

export type GroupsWorkerReply =
  | {
      type: 'hosts'
      members: Array<{ index: number; peerId: string; addrs: string[]; distribution: Uint8Array }>
    }
  | { type: 'dialled' }
  | { type: 'subscribed' }
  | { type: 'mesh'; members: Array<{ index: number; meshPeers: string[]; connections: number }> }
  | { type: 'published'; id: string; sentAt: number; recipients: number; wireBytes: number }
  | { type: 'arrival'; id: string; at: number }
  | { type: 'stopped' }

/** Message id as the bench frames it: sender index and message number in the first 3 bytes. */
export function frameId(sender: number, message: number): string {
  return `${sender % 256}:${message % 256}:${Math.floor(message / 256)}`
}
