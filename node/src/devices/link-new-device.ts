/**
 * Linking, the new device's side (issue 18). A profile with no identity makes its device key, its
 * libp2p key and a one-time X25519 key, listens on a small libp2p host of its own (TCP, Noise,
 * Yamux: nothing else runs before there is an identity) and shows the code. The primary dials
 * it; after the handshake both show the confirmation number; once this user confirmed it, the
 * identity, the records and the device list arrive, and the profile is created as a new device of
 * the identity (the same way a backup is restored, backup/backup.ts) — its own list already has
 * it, at the version the primary publishes and pushes, so this device pushes nothing itself.
 *
 * The transfer is held in memory until its end frame (MAX_LINK_TRANSFER_BYTES) so that a broken
 * link leaves no half profile.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { Libp2p, Stream } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { bytesEqual } from '../../../core/src/bytes.ts'
import { decodeCapped } from '../../../core/src/checks.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import { decodeDeviceList, verifyDeviceList } from '../../../core/src/device-list.ts'
import { identityKeyPairFromSeed, userIdFromIdentityKey } from '../../../core/src/identity.ts'
import { encodeLinkCode, linkCodeBytes, MAX_LINK_ADDRS } from '../../../core/src/link-code.ts'
import { deriveLinkKeys } from '../../../core/src/link-handshake.ts'
import { LinkHello } from '../../../core/src/proto/link.ts'
import { FrameSequence, type IdentityFrame, newDeviceSecrets, type RestoreTarget } from '../backup/backup.ts'
import type { Logger } from '../log.ts'
import { decodeJson } from '../storage/json-codec.ts'
import { FIXED_KEYS } from '../storage/layout.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import { LinkConfirmationMismatchError, LinkProtocolError } from './errors.ts'
import { LINK_CONFIRM_TIMEOUT_MS, LINK_HELLO_TIMEOUT_MS, LINK_PROTOCOL, LinkChannel } from './link-channel.ts'
import { OWN_DEVICE_LIST } from './own-device-list.ts'

/** Largest transfer held before the profile is written, in bytes (≈ 250 k messages of text). */
export const MAX_LINK_TRANSFER_BYTES = 256 * 1024 * 1024
/** Largest hello in bytes: a version and a 32-byte key. */
const MAX_HELLO_BYTES = 128
/** Where the link host listens: TCP on every IPv4 interface, a port the OS picks. */
export const LINK_LISTEN: readonly string[] = ['/ip4/0.0.0.0/tcp/0']

export interface NewDeviceLinkInit {
  suite: CryptoSuite
  target: RestoreTarget
  log: Logger
  listen?: readonly string[]
  onConfirmation: (confirmation: string) => void
  onProgress: (progress: { records: number; bytes: number }) => void
  onLinked: (result: { userId: Uint8Array; records: number }) => void
  onFailed: (reason: string) => void
}

/** This device's keys, made when it shows its code. */
interface DeviceSecrets {
  deviceKeySeed: Uint8Array
  deviceKey: Uint8Array
  libp2pPrivateKey: Uint8Array
}

/** One waiting new device: `start` shows the code, the primary's dial does the rest. */
export class NewDeviceLink {
  readonly code: string
  readonly #init: NewDeviceLinkInit
  readonly #host: Libp2p
  readonly #device: DeviceSecrets
  readonly #ephemeral: { publicKey: Uint8Array; secretKey: Uint8Array }
  readonly #codeBytes: Uint8Array
  #confirmation: string | null = null
  #confirmed: { resolve: () => void; reject: (err: Error) => void } | null = null
  #busy = false
  #closed = false

  private constructor(
    init: NewDeviceLinkInit,
    host: Libp2p,
    device: DeviceSecrets,
    eph: { publicKey: Uint8Array; secretKey: Uint8Array },
    code: string,
    codeBytes: Uint8Array,
  ) {
    this.#init = init
    this.#host = host
    this.#device = device
    this.#ephemeral = eph
    this.code = code
    this.#codeBytes = codeBytes
  }

  static async start(init: NewDeviceLinkInit): Promise<NewDeviceLink> {
    const { suite } = init
    const privateKey = await generateKeyPair('Ed25519')
    const seed = suite.ed25519Generate()
    const device = {
      deviceKeySeed: seed.secretKey,
      deviceKey: seed.publicKey,
      libp2pPrivateKey: privateKeyToProtobuf(privateKey),
    }
    const ephemeral = suite.x25519Generate()
    const host = await createLibp2p({
      privateKey,
      addresses: { listen: [...(init.listen ?? LINK_LISTEN)] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
    })
    const addrs = host
      .getMultiaddrs()
      .map((a) => a.decapsulateCode(421).bytes) // 421: /p2p, the code carries the PeerId once
      .slice(0, MAX_LINK_ADDRS)
    const fields = {
      peerId: host.peerId.toMultihash().bytes,
      deviceKey: device.deviceKey,
      ephemeralKey: ephemeral.publicKey,
      addrs,
    }
    const link = new NewDeviceLink(
      init,
      host,
      device,
      ephemeral,
      encodeLinkCode(fields),
      linkCodeBytes(fields),
    )
    await host.handle(LINK_PROTOCOL, (stream, connection) => {
      if (link.#busy) {
        stream.abort(new LinkProtocolError('a link is already in progress'))
        return
      }
      link.#busy = true
      void link.#run(stream, connection.remotePeer.toMultihash().bytes).then(
        (result) => init.onLinked(result),
        (err) => {
          stream.abort(err instanceof Error ? err : new Error(String(err)))
          link.#busy = false
          init.onFailed(err instanceof Error ? err.message : String(err))
        },
      )
    })
    return link
  }

  get confirmation(): string | null {
    return this.#confirmation
  }

  /** This user confirmed `typed` (the number the primary shows): a mismatch aborts the link. */
  confirm(typed: string): void {
    const waiting = this.#confirmed
    if (waiting === null || this.#confirmation === null)
      throw new LinkProtocolError('no number to confirm yet')
    this.#confirmed = null
    if (typed.trim() !== this.#confirmation) {
      waiting.reject(
        new LinkConfirmationMismatchError('the confirmation numbers differ: the link is aborted'),
      )
      throw new LinkConfirmationMismatchError('the confirmation numbers differ: the link is aborted')
    }
    waiting.resolve()
  }

  async stop(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#ephemeral.secretKey.fill(0)
    await this.#host.stop()
  }

  async #run(stream: Stream, primaryPeerId: Uint8Array): Promise<{ userId: Uint8Array; records: number }> {
    const { suite } = this.#init
    const channel = new LinkChannel(suite, stream)
    const hello = decodeCapped(
      'link hello',
      await channel.readPlain(LINK_HELLO_TIMEOUT_MS),
      MAX_HELLO_BYTES,
      (b) => LinkHello.decode(b),
    )
    const keys = deriveLinkKeys(suite, {
      ownSecret: this.#ephemeral.secretKey,
      peerPublic: hello.ephemeralKey,
      codeBytes: this.#codeBytes,
      primaryEphemeral: hello.ephemeralKey,
      primaryPeerId,
    })
    channel.setKeys(keys.newToPrimary, keys.primaryToNew)
    await channel.send({ kind: 'accepted' })
    let timer: ReturnType<typeof setTimeout> | undefined
    const confirmed = new Promise<void>((resolve, reject) => {
      this.#confirmed = { resolve, reject }
      timer = setTimeout(
        () => reject(new LinkProtocolError('the link was not confirmed in time')),
        LINK_CONFIRM_TIMEOUT_MS,
      )
    })
    confirmed.catch(() => {})
    // the primary's first frame comes after both confirmed; reading it now also ends the wait
    // when the primary aborts (its user saw another number)
    const first = channel.receive(2 * LINK_CONFIRM_TIMEOUT_MS)
    first.catch(() => {})
    this.#confirmation = keys.confirmation
    this.#init.onConfirmation(keys.confirmation)
    try {
      await Promise.race([
        confirmed,
        first.then(() => {
          throw new LinkProtocolError('the primary sent a frame before this user confirmed')
        }),
      ])
    } finally {
      clearTimeout(timer)
      this.#confirmed = null
    }
    await channel.send({ kind: 'confirmed' })

    // the transfer, checked as a backup is, held until its end
    const sequence = new FrameSequence()
    let identity: IdentityFrame | undefined
    let list: Uint8Array | undefined
    const batches: BatchOp[][] = []
    for (let next = first; ; next = channel.receive()) {
      const frame = await next
      if (channel.bytesReceived > MAX_LINK_TRANSFER_BYTES)
        throw new LinkProtocolError(`the transfer is over ${MAX_LINK_TRANSFER_BYTES} bytes`)
      if (frame.kind === 'list') {
        if (list !== undefined || identity === undefined)
          throw new LinkProtocolError('an unexpected device list')
        list = frame.list
        continue
      }
      if (frame.kind !== 'identity' && frame.kind !== 'records' && frame.kind !== 'end')
        throw new LinkProtocolError(`an unexpected ${frame.kind} frame`)
      sequence.accept(frame, frame.kind === 'end')
      if (frame.kind === 'identity') identity = frame
      if (frame.kind === 'records') {
        batches.push(frame.entries.map(([key, json]) => ({ type: 'put', key, value: decodeJson(json) })))
        this.#init.onProgress({ records: sequence.records, bytes: channel.bytesReceived })
      }
      if (frame.kind === 'end') break
    }
    if (identity === undefined || list === undefined)
      throw new LinkProtocolError('the transfer is incomplete')
    const ownList = this.#checkList(identity, list)

    const secrets = await newDeviceSecrets(suite, identity, this.#device)
    await this.#init.target.create(secrets, async (store) => {
      for (const ops of batches) await store.batch(ops)
      // the primary publishes and pushes this version: nothing left to push from here
      await store.write(FIXED_KEYS.deviceList, OWN_DEVICE_LIST, { list, pushedVersion: ownList.listVersion })
      await channel.send({ kind: 'done' })
      await stream.close({ signal: AbortSignal.timeout(LINK_HELLO_TIMEOUT_MS) }).catch(() => {})
      await this.stop() // the node starts next, with the same libp2p key
    })
    return { userId: ownList.userId, records: sequence.records }
  }

  /** The list must be the identity's, signed by it, and have this device on it. */
  #checkList(identity: IdentityFrame, bytes: Uint8Array) {
    const { suite } = this.#init
    const list = decodeDeviceList(bytes)
    const key = identityKeyPairFromSeed(suite, identity.identitySeed)
    const origin =
      identity.originIdentitySeed === undefined
        ? key
        : identityKeyPairFromSeed(suite, identity.originIdentitySeed)
    verifyDeviceList(suite, list, userIdFromIdentityKey(suite, origin.publicKey))
    if (!bytesEqual(list.identityKey, key.publicKey))
      throw new LinkProtocolError('the device list is of another key')
    const mine = list.devices.find((d) => bytesEqual(d.deviceKey, this.#device.deviceKey))
    if (mine === undefined || !bytesEqual(mine.devicePeerId, this.#host.peerId.toMultihash().bytes))
      throw new LinkProtocolError('the device list does not have this device')
    return list
  }
}
