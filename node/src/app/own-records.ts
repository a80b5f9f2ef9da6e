/**
 * What this device says about itself: its signed prekey bundle (published in the DHTs and served
 * over /wren/prekey) and its contact card. Both are signed once and cached until what they say
 * changes (prekeys rotated, mailboxes moved, addresses or display name changed).
 */
import type { PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { toHex } from '../../../core/src/bytes.ts'
import { encodeContactCard, signContactCard } from '../../../core/src/contact-card.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import { type DeviceCertificate, signDeviceCertificate } from '../../../core/src/device-certificate.ts'
import { type MailboxHint, signPrekeyBundle } from '../../../core/src/prekey-bundle.ts'
import { encodePrekeyBundle } from '../../../core/src/prekey-bundle-codec.ts'
import type { PrekeyManager } from '../messaging/prekeys.ts'
import { cardAddrs } from '../p2p/card-addrs.ts'
import type { IdentityMaterial } from './identity-material.ts'

/** Addresses put on a contact card: a few are enough for the first dial. */
export const MAX_CARD_ADDRS = 8
/** The name a card carries while the user has set none. */
const DEFAULT_CARD_NAME = 'Wren user'

export interface OwnRecordsInit {
  suite: CryptoSuite
  keys: IdentityMaterial
  peerId: PeerId
  prekeys: PrekeyManager
  /** This device's certificate from the device list (devices/own-device-list.ts); signed here otherwise. */
  certificate?: DeviceCertificate
  /** When the identity was created (the device certificate's date). */
  createdAt: number
  /** The mailboxes the bundle names (read at signing time). */
  mailboxHints: () => readonly MailboxHint[]
  now: () => number
}

export class OwnRecords {
  readonly #init: OwnRecordsInit
  #certificate: DeviceCertificate | null = null
  #bundle: Uint8Array | null = null
  #card: { key: string; card: string } | null = null

  constructor(init: OwnRecordsInit) {
    this.#init = init
    this.#certificate = init.certificate ?? null
  }

  /** The current signed bundle (signed again after `invalidateBundle`). */
  bundle(): Uint8Array {
    if (this.#bundle !== null) return this.#bundle
    const { suite, keys } = this.#init
    this.#certificate ??= signDeviceCertificate(suite, keys.identity, {
      devicePeerId: this.#init.peerId.toMultihash().bytes,
      deviceKey: keys.deviceKey.publicKey,
      createdAt: this.#init.createdAt,
    })
    const { signedPrekey, kemPrekey } = this.#init.prekeys.bundlePrekeys()
    this.#bundle = encodePrekeyBundle(
      signPrekeyBundle(suite, keys.identity, {
        userId: keys.userId,
        succession: keys.succession,
        deviceCertificate: this.#certificate,
        signedPrekey,
        kemPrekey,
        mailboxes: [...this.#init.mailboxHints()],
        createdAt: this.#init.now(),
      }),
    )
    return this.#bundle
  }

  /** Prekeys or mailboxes changed: the next `bundle()` signs a new one. */
  invalidateBundle(): void {
    this.#bundle = null
  }

  /** The contact card for these addresses and name, re-signed only when either changed. */
  card(addrs: readonly Multiaddr[], displayName: string): string {
    const { suite, keys } = this.#init
    const bytes = cardAddrs([...addrs], MAX_CARD_ADDRS).map((a) => a.bytes)
    const name = displayName.length > 0 ? displayName : DEFAULT_CARD_NAME
    const key = `${name}\n${bytes.map((a) => toHex(a)).join(',')}`
    if (this.#card?.key !== key) {
      const card = encodeContactCard(
        signContactCard(suite, keys.identity, {
          userId: keys.userId,
          succession: keys.succession,
          identityKey: keys.identity.publicKey,
          displayName: name,
          devicePeerId: this.#init.peerId.toMultihash().bytes,
          addrs: bytes,
          createdAt: this.#init.now(),
        }),
      )
      this.#card = { key, card }
    }
    return this.#card.card
  }
}
