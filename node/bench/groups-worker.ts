/**
 * One worker process of the group fan-out benchmark (groups.bench.ts --workers N): it runs the
 * members it is given as real Wren hosts, each with its own Sender Key, and answers the
 * coordinator over the IPC channel. Arrivals are reported with absolute timestamps
 * (performance.timeOrigin + performance.now()), so that the coordinator can compare them with
 * the send time taken in another process on the same machine.
 *
 * Messages in (from the coordinator) and out (to it) are the GroupsWorker* types below.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { type TCPSocketOptions, tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { pad } from '../../core/src/padding.ts'
import {
  createSenderKey,
  processSenderKeyDistribution,
  type SenderKeyState,
  senderKeyDecrypt,
  senderKeyDistribution,
  senderKeyEncrypt,
} from '../../core/src/sender-key.ts'
import { seededFloat } from '../../test/fixtures/seeded-random.ts'
import { createNodeSuite } from '../src/crypto/node-suite.ts'
import { encodeContent, encodeWire } from '../src/groups/wire.ts'
import { createWrenHost } from '../src/p2p/host.ts'
import {
  DIALS_PER_NODE,
  frameId,
  type GroupsWorkerCommand,
  type GroupsWorkerReply,
  memberAddress,
  nowAbsolute,
  TOPIC,
} from './groups-shared.ts'

interface GossipView {
  getMeshPeers(topic: string): string[]
}

const suite = createNodeSuite()
type Host = Awaited<ReturnType<typeof createWrenHost>>
const hosts = new Map<number, Host>()
const own = new Map<number, SenderKeyState>()

function reply(message: GroupsWorkerReply): void {
  process.send?.(message)
}

async function startHosts(indices: number[]): Promise<void> {
  const members = []
  for (const index of indices) {
    const host = await createWrenHost({
      privateKey: await generateKeyPair('Ed25519'),
      mdns: false,
      // as in the one-process run: each member on its own loopback address, TCP only
      listen: [`/ip4/${memberAddress(index)}/tcp/0`],
      transports: [tcp({ dialOpts: { localAddress: memberAddress(index) } as TCPSocketOptions })],
    })
    hosts.set(index, host)
    const key = createSenderKey(suite, { distributionId: suite.randomBytes(16) })
    own.set(index, key)
    members.push({
      index,
      peerId: host.peerId.toString(),
      addrs: host.getMultiaddrs().map((a) => a.toString()),
      distribution: senderKeyDistribution(key),
    })
  }
  reply({ type: 'hosts', members })
}

async function dial(size: number, addrs: string[][]): Promise<void> {
  for (const [index, host] of hosts) {
    const float = seededFloat(`groups-bench-${index}`)
    for (let k = 0; k < DIALS_PER_NODE; k++) {
      const j = (index + 1 + Math.floor(float() * (size - 1))) % size
      await host
        .dial(
          (addrs[j] ?? []).map((a) => multiaddr(a)),
          { signal: AbortSignal.timeout(5_000) },
        )
        .catch(() => {})
    }
  }
  reply({ type: 'dialled' })
}

function subscribe(distributions: Uint8Array[]): void {
  for (const [index, host] of hosts) {
    const receivers = new Map<number, SenderKeyState>()
    for (const [s, dist] of distributions.entries())
      if (s !== index) receivers.set(s, processSenderKeyDistribution(suite, dist))
    host.services.pubsub.subscribe(TOPIC)
    host.services.pubsub.addEventListener('message', (event) => {
      const data = event.detail.data
      const sender = data[0] as number
      const id = `${sender}:${data[1]}:${data[2]}`
      // the frame names the sender modulo 256: enough below 256 members
      const state = receivers.get(sender)
      if (state === undefined) return
      try {
        receivers.set(sender, senderKeyDecrypt(suite, state, data.subarray(3)).state)
      } catch {
        return
      }
      reply({ type: 'arrival', id, at: nowAbsolute() })
    })
  }
  reply({ type: 'subscribed' })
}

function mesh(): void {
  reply({
    type: 'mesh',
    members: [...hosts].map(([index, host]) => ({
      index,
      meshPeers: (host.services.pubsub as unknown as GossipView).getMeshPeers(TOPIC),
      connections: host.getConnections().length,
    })),
  })
}

async function publish(sender: number, message: number): Promise<void> {
  const key = own.get(sender)
  const host = hosts.get(sender)
  if (key === undefined || host === undefined) throw new Error(`member ${sender} is not in this worker`)
  const content = encodeContent({
    messageId: suite.randomBytes(16),
    text: `benchmark message ${message} `.padEnd(120, '.'),
    sentAt: Date.now(),
    groupId: new Uint8Array(16),
    epoch: 0,
  })
  const encrypted = senderKeyEncrypt(suite, key, pad(content))
  own.set(sender, encrypted.state)
  const framed = new Uint8Array(3 + encrypted.message.length)
  framed.set([sender % 256, message % 256, Math.floor(message / 256)], 0)
  framed.set(encrypted.message, 3)
  const sentAt = nowAbsolute()
  const published = await host.services.pubsub.publish(TOPIC, framed)
  reply({
    type: 'published',
    id: frameId(sender, message),
    sentAt,
    recipients: published.recipients.length,
    // what the real wire would carry (the bench's 3-byte frame names the sender instead)
    wireBytes: encodeWire({ nonce: suite.randomBytes(16), message: encrypted.message }).length,
  })
}

process.on('message', (command: GroupsWorkerCommand) => {
  const run = async () => {
    switch (command.type) {
      case 'hosts':
        return startHosts(command.indices)
      case 'dial':
        return dial(command.size, command.addrs)
      case 'subscribe':
        return subscribe(command.distributions)
      case 'mesh':
        return mesh()
      case 'publish':
        return publish(command.sender, command.message)
      case 'stop':
        await Promise.all([...hosts.values()].map((h) => h.stop()))
        reply({ type: 'stopped' })
        process.disconnect?.()
        return
    }
  }
  run().catch((error) => {
    process.stderr.write(`groups worker: ${(error as Error).stack}\n`)
    process.exit(1)
  })
})
