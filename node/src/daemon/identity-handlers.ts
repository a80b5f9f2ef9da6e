/**
 * Profile-level RPC handlers: node.status, identity.create / unlock / get, events.subscribe.
 * Every other method answers NOT_IMPLEMENTED (after the LOCKED check when it needs keys) until the
 * messaging layer supplies it: `handlersFactory: (ctx) => ({ ...createDefaultHandlers(ctx), ...mine })`.
 */
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import QRCode from 'qrcode'
import { toHex } from '../../../core/src/bytes.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import {
  formatUserId,
  generateIdentityKeyPair,
  identityKeyPairFromSeed,
  userIdFromIdentityKey,
} from '../../../core/src/identity.ts'
import { readIdentityRecord, writeIdentityRecord } from '../profile/records.ts'
import { eventNames, type Identity, type MethodName } from '../rpc/api.ts'
import { appError } from '../rpc/errors.ts'
import type { Handlers } from '../rpc/server.ts'
import type { KeystoreSecrets } from '../storage/keystore.ts'
import { STORAGE_KEY_BYTES } from '../storage/sealed-store.ts'
import type { DaemonContext } from './context.ts'
import type { UnlockedProfile } from './profile-session.ts'

/** Sealed-store record holding the non-secret identity profile (display name, creation time). */
export { IDENTITY_RECORD_KEY, type IdentityRecord } from '../profile/records.ts'

export interface CardInfo {
  readonly userId: string
  readonly identityKey: string
  readonly displayName: string
  readonly peerId: string
}

export interface ProfileHandlerOptions {
  /** Contact card encoder; defaults to provisionalCard until the contacts layer defines the format. */
  readonly renderCard?: (info: CardInfo) => string
}

/**
 * PROVISIONAL card format (lead: replace with the contacts layer's encoder via renderCard):
 * 'wren:card:0:' + base64url(JSON { ik, uid, name, peer }).
 */
export function provisionalCard(info: CardInfo): string {
  const body = JSON.stringify({
    ik: info.identityKey,
    uid: info.userId,
    name: info.displayName,
    peer: info.peerId,
  })
  return `wren:card:0:${Buffer.from(body).toString('base64url')}`
}

/** The user id of a profile: derived from the origin identity key (the first one it had). */
export function profileUserId(suite: CryptoSuite, secrets: KeystoreSecrets): Uint8Array {
  const origin = identityKeyPairFromSeed(suite, secrets.originIdentitySeed ?? secrets.identitySeed)
  return userIdFromIdentityKey(suite, origin.publicKey)
}

type ProfileMethods =
  | 'node.status'
  | 'identity.create'
  | 'identity.unlock'
  | 'identity.get'
  | 'events.subscribe'

export function createProfileHandlers(
  ctx: DaemonContext,
  options: ProfileHandlerOptions = {},
): Pick<Handlers, ProfileMethods> {
  const renderCard = options.renderCard ?? provisionalCard

  async function identityOf(profile: UnlockedProfile): Promise<Identity> {
    const { publicKey } = identityKeyPairFromSeed(ctx.suite, profile.secrets.identitySeed)
    const record = await readIdentityRecord(profile.store)
    const info: CardInfo = {
      userId: formatUserId(profileUserId(ctx.suite, profile.secrets)),
      identityKey: toHex(publicKey),
      displayName: record?.displayName ?? '',
      peerId: profile.peerId,
    }
    const card = renderCard(info)
    const cardQrSvg = await QRCode.toString(card, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })
    return { ...info, card, cardQrSvg }
  }

  return {
    'node.status': async () => {
      const unlocked = ctx.session.unlocked
      const network = ctx.networkStatus()
      let userId: string | null = null
      if (unlocked) userId = formatUserId(profileUserId(ctx.suite, unlocked.secrets))
      return {
        version: ctx.version,
        hasIdentity: ctx.session.hasIdentity,
        unlocked: unlocked !== null,
        userId,
        peerId: network?.peerId ?? unlocked?.peerId ?? null,
        listenAddrs: [...(network?.listenAddrs ?? [])],
        connections: network?.connections ?? 0,
        relays: network?.relays ?? 0,
        mailboxes: network?.mailboxes ?? 0,
        bundlePublished: network?.bundlePublished ?? false,
        network: network?.report ?? null,
        uptimeMs: Math.max(0, Date.now() - ctx.startedAt),
      }
    },

    'identity.create': async ({ passphrase, displayName }) => {
      if (ctx.session.hasIdentity) throw appError('ALREADY_EXISTS', 'this profile already has an identity')
      const identity = generateIdentityKeyPair(ctx.suite)
      const libp2pKey = await generateKeyPair('Ed25519')
      const secrets: KeystoreSecrets = {
        identitySeed: identity.secretKey,
        deviceKeySeed: ctx.suite.ed25519Generate().secretKey,
        libp2pPrivateKey: privateKeyToProtobuf(libp2pKey),
        storageKey: ctx.suite.randomBytes(STORAGE_KEY_BYTES),
        prekeys: [], // the prekey service generates and rotates them after unlock
      }
      const createdAt = Date.now()
      const profile = await ctx.session.create(passphrase, secrets, (store) =>
        writeIdentityRecord(store, { displayName, createdAt }),
      )
      ctx.log.info('identity created', { peerId: profile.peerId })
      return identityOf(profile)
    },

    'identity.unlock': async ({ passphrase }) => {
      const profile = await ctx.session.unlock(passphrase)
      ctx.log.info('profile unlocked', { peerId: profile.peerId })
      return identityOf(profile)
    },

    'identity.get': async () => identityOf(ctx.session.requireUnlocked()),

    'events.subscribe': async ({ events }, rpc) => ({ subscribed: rpc.subscribe(events ?? eventNames) }),
  }
}

function notImplemented(ctx: DaemonContext, method: MethodName, needsKeys: boolean) {
  return async (): Promise<never> => {
    if (needsKeys) ctx.session.requireUnlocked()
    throw appError('NOT_IMPLEMENTED', `${method} is not implemented by this daemon yet`)
  }
}

/** Every method: the profile handlers, and NOT_IMPLEMENTED (behind the lock check) for the rest. */
export function createDefaultHandlers(ctx: DaemonContext, options: ProfileHandlerOptions = {}): Handlers {
  return {
    'node.doctor': notImplemented(ctx, 'node.doctor', true),
    'identity.rotate': notImplemented(ctx, 'identity.rotate', true),
    'identity.card': notImplemented(ctx, 'identity.card', true),
    'contacts.add': notImplemented(ctx, 'contacts.add', true),
    'contacts.list': notImplemented(ctx, 'contacts.list', true),
    'contacts.safetyNumber': notImplemented(ctx, 'contacts.safetyNumber', true),
    'contacts.verify': notImplemented(ctx, 'contacts.verify', true),
    'contacts.acceptKeyChange': notImplemented(ctx, 'contacts.acceptKeyChange', true),
    'conversations.list': notImplemented(ctx, 'conversations.list', true),
    'messages.send': notImplemented(ctx, 'messages.send', true),
    'messages.list': notImplemented(ctx, 'messages.list', true),
    'messages.markRead': notImplemented(ctx, 'messages.markRead', true),
    'groups.create': notImplemented(ctx, 'groups.create', true),
    'groups.invite': notImplemented(ctx, 'groups.invite', true),
    'groups.accept': notImplemented(ctx, 'groups.accept', true),
    'groups.decline': notImplemented(ctx, 'groups.decline', true),
    'groups.leave': notImplemented(ctx, 'groups.leave', true),
    'groups.remove': notImplemented(ctx, 'groups.remove', true),
    'groups.rename': notImplemented(ctx, 'groups.rename', true),
    'groups.setRole': notImplemented(ctx, 'groups.setRole', true),
    'groups.members': notImplemented(ctx, 'groups.members', true),
    'groups.list': notImplemented(ctx, 'groups.list', true),
    'groups.receipts': notImplemented(ctx, 'groups.receipts', true),
    'settings.get': notImplemented(ctx, 'settings.get', true),
    'settings.set': notImplemented(ctx, 'settings.set', true),
    ...createProfileHandlers(ctx, options),
  }
}
