/**
 * Linking, the primary's side (issue 18): dial the device that showed the code, run the handshake
 * bound to it (core/src/link-handshake.ts), show the confirmation number; once this user and the
 * new device's user both confirmed it, send the identity, the profile's records (the backup's
 * frames, node/src/backup/backup.ts) and the device list with the new device certified on it;
 * when the new device says it has everything, store that list, put it in the DHTs and push it to
 * every contact (RuntimeDevices.adoptLinked).
 */
import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import type { DeviceList } from '../../../core/src/device-list.ts'
import type { IdentityKeyPair } from '../../../core/src/identity.ts'
import { decodeLinkCode, type LinkCode } from '../../../core/src/link-code.ts'
import { deriveLinkKeys } from '../../../core/src/link-handshake.ts'
import { LinkHello } from '../../../core/src/proto/link.ts'
import { profileFrames } from '../backup/backup.ts'
import type { Logger } from '../log.ts'
import { peerIdFromBytes } from '../messaging/peer-ids.ts'
import type { UnlockedProfile } from '../profile/session.ts'
import { LinkConfirmationMismatchError, LinkProtocolError } from './errors.ts'
import { LINK_CONFIRM_TIMEOUT_MS, LINK_HELLO_TIMEOUT_MS, LINK_PROTOCOL, LinkChannel } from './link-channel.ts'
import { listWithDevice } from './own-device-list.ts'

export const LINK_HELLO_VERSION = 1

export interface PrimaryLinkContext {
  suite: CryptoSuite
  libp2p: Libp2p
  profile: UnlockedProfile
  identity: IdentityKeyPair
  /** The own list now (the new one is this plus the new device). */
  ownList: () => DeviceList
  /** Store, publish and push the list with the new device (RuntimeDevices.adoptLinked). */
  adopt: (bytes: Uint8Array) => Promise<void>
  onProgress: (progress: { records: number; bytes: number }) => void
  log: Logger
  now: () => number
}

export interface LinkedDevice {
  deviceId: Uint8Array
  peerId: string
  records: number
  listVersion: number
}

/** One link in progress on the primary: created by `dial`, finished by `confirm`. */
export class PrimaryLink {
  readonly confirmation: string
  readonly code: LinkCode
  readonly #ctx: PrimaryLinkContext
  readonly #channel: LinkChannel
  readonly #abort: (err: Error) => void
  #started = false

  private constructor(
    ctx: PrimaryLinkContext,
    code: LinkCode,
    channel: LinkChannel,
    confirmation: string,
    abort: (err: Error) => void,
  ) {
    this.#ctx = ctx
    this.code = code
    this.#channel = channel
    this.confirmation = confirmation
    this.#abort = abort
  }

  /** Dial the code's device and run the handshake; resolves with the number to compare. */
  static async dial(ctx: PrimaryLinkContext, codeText: string): Promise<PrimaryLink> {
    const { code, bytes: codeBytes } = decodeLinkCode(codeText)
    const peer = peerIdFromBytes(code.peerId)
    const addrs = code.addrs.map((a) => multiaddr(a).encapsulate(`/p2p/${peer.toString()}`))
    if (addrs.length === 0) throw new LinkProtocolError('the link code names no address')
    let stream: Awaited<ReturnType<Libp2p['dialProtocol']>>
    try {
      stream = await ctx.libp2p.dialProtocol(addrs, LINK_PROTOCOL, {
        signal: AbortSignal.timeout(LINK_HELLO_TIMEOUT_MS),
      })
    } catch (cause) {
      throw new LinkProtocolError('the new device could not be reached', { cause })
    }
    const abort = (err: Error): void => stream.abort(err)
    try {
      const channel = new LinkChannel(ctx.suite, stream)
      const ephemeral = ctx.suite.x25519Generate()
      await channel.writePlain(
        LinkHello.encode({
          version: LINK_HELLO_VERSION,
          ephemeralKey: ephemeral.publicKey as Uint8Array<ArrayBuffer>,
        }),
      )
      const keys = deriveLinkKeys(ctx.suite, {
        ownSecret: ephemeral.secretKey,
        peerPublic: code.ephemeralKey,
        codeBytes,
        primaryEphemeral: ephemeral.publicKey,
        primaryPeerId: ctx.libp2p.peerId.toMultihash().bytes,
      })
      ephemeral.secretKey.fill(0)
      channel.setKeys(keys.primaryToNew, keys.newToPrimary)
      // the new device's first sealed frame proves it holds the code's one-time key
      await channel.expect('accepted', LINK_HELLO_TIMEOUT_MS)
      return new PrimaryLink(ctx, code, channel, keys.confirmation, abort)
    } catch (err) {
      abort(err instanceof Error ? err : new Error(String(err)))
      throw err instanceof LinkProtocolError
        ? err
        : new LinkProtocolError('the link handshake failed', { cause: err })
    }
  }

  /** Abort without sending anything (the user said the numbers differ, or gave up). */
  cancel(reason: string): void {
    this.#abort(new LinkProtocolError(reason))
  }

  /**
   * This user confirmed `typed` (the number the new device shows): a mismatch aborts the link.
   * Resolves when the new device has everything and the list is published.
   */
  async confirm(typed: string): Promise<LinkedDevice> {
    if (this.#started) throw new LinkProtocolError('this link is already confirmed')
    if (typed.trim() !== this.confirmation) {
      this.cancel('the confirmation numbers differ')
      throw new LinkConfirmationMismatchError('the confirmation numbers differ: the link is aborted')
    }
    this.#started = true
    try {
      return await this.#transfer()
    } catch (err) {
      this.#abort(err instanceof Error ? err : new Error(String(err)))
      throw err instanceof LinkProtocolError
        ? err
        : new LinkProtocolError('the link transfer failed', { cause: err })
    }
  }

  async #transfer(): Promise<LinkedDevice> {
    const ctx = this.#ctx
    const channel = this.#channel
    await channel.expect('confirmed', LINK_CONFIRM_TIMEOUT_MS)
    const next = listWithDevice(ctx.suite, ctx.identity, ctx.ownList(), {
      devicePeerId: this.code.peerId,
      deviceKey: this.code.deviceKey,
      now: ctx.now(),
    })
    let records = 0
    for await (const frame of profileFrames(ctx.profile, ctx.now())) {
      if (frame.kind === 'end') await channel.send({ kind: 'list', list: next.bytes })
      await channel.send(frame)
      if (frame.kind === 'records') {
        records += frame.entries.length
        ctx.onProgress({ records, bytes: channel.bytesSent })
      }
    }
    await channel.expect('done')
    await ctx.adopt(next.bytes)
    ctx.log.info('device linked', { version: next.list.listVersion, records })
    const peerId = peerIdFromBytes(this.code.peerId).toString()
    return { deviceId: this.code.deviceKey, peerId, records, listVersion: next.list.listVersion }
  }
}
