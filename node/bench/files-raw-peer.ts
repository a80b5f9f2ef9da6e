/**
 * The other end of bench:files' raw stream measurement, as its own process (like a daemon): a
 * Wren host (createWrenHost: TCP, noise, yamux, the settings a user gets) that answers one
 * protocol by writing the number of bytes asked for on the stream, in FILE_CHUNK_BYTES pieces,
 * waiting for the stream to drain whenever libp2p asks (back-pressure). It prints its listen
 * addresses as one JSON line on stdout and stops on SIGTERM.
 *
 * Usage: node node/bench/files-raw-peer.ts
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { FILE_CHUNK_BYTES } from '../../core/src/file/constants.ts'
import { createWrenHost } from '../src/p2p/host.ts'

/** The benchmark's protocol: an 8-byte big-endian byte count in (then the
 * requester closes its side), that many bytes out. */
export const RAW_BENCH_PROTOCOL = '/wren-bench/raw/1.0.0'
/** Bytes of the request: one unsigned 64-bit count. */
export const RAW_REQUEST_BYTES = 8

async function main(): Promise<void> {
  const host = await createWrenHost({
    privateKey: await generateKeyPair('Ed25519'),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    mdns: false,
  })
  // a fixed piece of random-looking bytes: noise encrypts whatever it is given
  const piece = new Uint8Array(FILE_CHUNK_BYTES).map((_, i) => (i * 2654435761) >>> 24)
  await host.handle(RAW_BENCH_PROTOCOL, async (stream) => {
    let request = new Uint8Array(0)
    for await (const part of stream) {
      const bytes = part.subarray()
      const joined = new Uint8Array(request.length + bytes.length)
      joined.set(request)
      joined.set(bytes, request.length)
      request = joined
    }
    if (request.length !== RAW_REQUEST_BYTES) {
      stream.abort(new Error('bad request'))
      return
    }
    let left = Number(new DataView(request.buffer).getBigUint64(0))
    while (left > 0) {
      const n = Math.min(left, piece.length)
      left -= n
      if (!stream.send(n === piece.length ? piece : piece.subarray(0, n))) await stream.onDrain()
    }
    await stream.close()
  })
  process.stdout.write(`${JSON.stringify({ addrs: host.getMultiaddrs().map((a) => a.toString()) })}\n`)
  process.once('SIGTERM', () => {
    void Promise.resolve(host.stop()).finally(() => process.exit(0))
  })
}

await main()
