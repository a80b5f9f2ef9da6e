/**
 * identity.*: create and unlock the profile (both answer once the node they start has started,
 * so the card is the real one), get, card, rotate; the profile picture.
 */
import { toHex } from '../../../../core/src/bytes.ts'
import { formatUserId, identityKeyPairFromSeed } from '../../../../core/src/identity.ts'
import { readPictureFile } from '../../avatar/picture-file.ts'
import { AlreadyExistsError } from '../../errors.ts'
import { newIdentitySecrets, profileUserId } from '../../profile/identity.ts'
import { readIdentityRecord, writeIdentityRecord } from '../../profile/records.ts'
import type { UnlockedProfile } from '../../profile/session.ts'
import type { Identity } from '../api.ts'
import type { HandlerDeps, NamespaceHandlers } from './deps.ts'
import { pictureView } from './picture-view.ts'
import { qrSvg } from './qr.ts'

interface CardInfo {
  readonly userId: string
  readonly identityKey: string
  readonly displayName: string
  readonly peerId: string
}

/**
 * The card shown while the node does not run (it failed to start): 'wren:card:0:' +
 * base64url(JSON { ik, uid, name, peer }). Contacts cannot add it; the running node's card
 * (core/src/contact-card.ts) replaces it as soon as the node runs.
 */
function provisionalCard(info: CardInfo): string {
  const body = JSON.stringify({
    ik: info.identityKey,
    uid: info.userId,
    name: info.displayName,
    peer: info.peerId,
  })
  return `wren:card:0:${Buffer.from(body).toString('base64url')}`
}

/** The API's Identity of an unlocked profile (the running node's card, else a provisional one). */
export async function identityView(
  { ctx, node }: Pick<HandlerDeps, 'ctx' | 'node'>,
  profile: UnlockedProfile,
): Promise<Identity> {
  const { publicKey } = identityKeyPairFromSeed(ctx.suite, profile.secrets.identitySeed)
  const record = await readIdentityRecord(profile.store)
  const info: CardInfo = {
    userId: formatUserId(profileUserId(ctx.suite, profile.secrets)),
    identityKey: toHex(publicKey),
    displayName: record?.displayName ?? '',
    peerId: profile.peerId,
  }
  const card = node.running()?.card() ?? provisionalCard(info)
  return { ...info, card, cardQrSvg: await qrSvg(card) }
}

export function identityHandlers({ ctx, node }: HandlerDeps): NamespaceHandlers<'identity'> {
  async function identityOf(profile: UnlockedProfile): Promise<Identity> {
    return identityView({ ctx, node }, profile)
  }

  async function unlock(passphrase: string): Promise<void> {
    const profile = await ctx.session.unlock(passphrase)
    ctx.log.info('profile unlocked', { peerId: profile.peerId })
  }

  return {
    'identity.create': async ({ passphrase, displayName }) => {
      if (ctx.session.hasIdentity) throw new AlreadyExistsError('this profile already has an identity')
      const secrets = await newIdentitySecrets(ctx.suite)
      const createdAt = Date.now()
      const profile = await ctx.session.create(passphrase, secrets, (store) =>
        writeIdentityRecord(store, { displayName, createdAt }),
      )
      ctx.log.info('identity created', { peerId: profile.peerId })
      await node.settled()
      return identityOf(ctx.session.requireUnlocked())
    },

    'identity.unlock': async ({ passphrase }) => {
      await unlock(passphrase)
      await node.settled()
      return identityOf(ctx.session.requireUnlocked())
    },

    'identity.lock': async () => {
      ctx.session.requireUnlocked()
      await node.lock()
      return { locked: true as const }
    },

    'identity.get': async () => identityOf(ctx.session.requireUnlocked()),

    'identity.card': async () => {
      const card = node.runtime().card()
      return { card, cardQrSvg: await qrSvg(card) }
    },

    'identity.setPicture': async (params) => {
      const rt = node.runtime()
      const image =
        'remove' in params
          ? null
          : 'path' in params
            ? await readPictureFile(params.path)
            : new Uint8Array(Buffer.from(params.image, 'base64'))
      return { picture: pictureView(await rt.pictures.set(image, rt.messenger)) }
    },

    'identity.picture': async () => ({ picture: pictureView(await node.runtime().pictures.own()) }),

    'identity.rotate': async ({ passphrase }) => {
      node.runtime() // locked or starting: that error first, before the passphrase is checked
      await unlock(passphrase) // the passphrase confirms the user means it
      await node.rotateIdentity()
      ctx.log.info('identity key rotated')
      return identityOf(ctx.session.requireUnlocked())
    },
  }
}
