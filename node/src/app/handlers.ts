/**
 * The daemon's handlers: profile methods from the daemon layer plus contacts, conversations and
 * messages backed by the runtime started on unlock. Every method that needs keys goes through
 * requireRuntime(), which answers LOCKED / NO_IDENTITY while the profile is locked.
 */
import QRCode from 'qrcode'
import { toHex } from '../../../core/src/bytes.ts'
import { parseContactCard } from '../../../core/src/contact-card.ts'
import { DecodeError, UnsupportedVersionError, WrenCoreError } from '../../../core/src/errors.ts'
import { generateIdentityKeyPair, parseUserId } from '../../../core/src/identity.ts'
import { safetyNumberFingerprint, verifySafetyNumberQr } from '../../../core/src/safety-number.ts'
import type { DaemonContext } from '../daemon/context.ts'
import { createDefaultHandlers, provisionalCard } from '../daemon/identity-handlers.ts'
import {
  groupConversations,
  groupHandlers,
  isGroupConversation,
  listGroupMessages,
} from '../groups/group-handlers.ts'
import { peerOfConversation } from '../messaging/messenger.ts'
import type { ContactRecord } from '../messaging/vault.ts'
import type { Contact, Conversation, Message } from '../rpc/api.ts'
import { appError } from '../rpc/errors.ts'
import { toApiMessage } from '../rpc/messaging-view.ts'
import type { Handlers } from '../rpc/server.ts'
import { PREFIXES } from '../storage/layout.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import { listenAddrsFor, plannedAddrs, profileListenPorts } from './listen-ports.ts'
import { type NetworkOptions, type Runtime, startRuntime } from './runtime.ts'
import { readNetworkSettings, settingsHandlers, withSavedNetwork } from './settings.ts'

export function toApiContact(contact: ContactRecord, online = false): Contact {
  return {
    userId: contact.userId,
    displayName: contact.displayName,
    identityKey: toHex(contact.identityKey),
    verified: contact.verified,
    keyChanged: contact.keyChanged,
    online,
    addedAt: contact.addedAt,
  }
}

export function createAppHandlers(ctx: DaemonContext, network: NetworkOptions): Handlers {
  let runtime: Runtime | null = null
  let starting: Promise<Runtime> | null = null

  // The profile's kept listen ports (unless --listen names addresses): status shows where the
  // node will listen even before `wren init` or unlock.
  const ports = network.listen === undefined ? profileListenPorts(ctx.paths.dir) : null
  const listen = async (): Promise<string[] | undefined> =>
    network.listen ?? (ports === null ? undefined : listenAddrsFor(await ports))
  const showPlanned = (): void => {
    if (ports === null) return
    void ports.then(
      (kept) => {
        if (runtime !== null || starting !== null) return
        const planned = plannedAddrs(kept)
        ctx.setNetworkStatus(() => ({
          peerId: null,
          listenAddrs: planned,
          connections: 0,
          relays: 0,
          mailboxes: 0,
          bundlePublished: false,
          report: null,
        }))
      },
      (error: unknown) => ctx.log.warn('no listen ports kept', { error: (error as Error)?.name }),
    )
  }
  showPlanned()

  // Started after the unlock call's critical section: the runtime itself re-seals the keystore
  // (prekeys), which waits for that section to end.
  ctx.session.onUnlock((profile) => {
    if (runtime !== null || starting !== null) return
    starting = new Promise<void>((resolve) => setImmediate(resolve)).then(async () =>
      startRuntime(
        ctx,
        profile,
        withSavedNetwork({ ...network, listen: await listen() }, await readNetworkSettings(profile.store)),
      ),
    )
    starting.then(
      (rt) => {
        runtime = rt
      },
      (error: unknown) => {
        ctx.log.error('node failed to start', {
          error: (error as Error)?.name,
          message: (error as Error)?.message,
        })
        starting = null
      },
    )
  })
  ctx.onStop(async () => {
    const current = runtime ?? (starting ? await starting.catch(() => null) : null)
    runtime = null
    await current?.stop()
  })

  /** Wait for the runtime an unlock just started (identity.create / unlock return the real card). */
  async function settled(): Promise<void> {
    if (starting !== null) await starting.catch(() => {})
  }

  function requireRuntime(): Runtime {
    ctx.session.requireUnlocked()
    if (runtime === null) throw appError('UNAVAILABLE', 'the node is still starting')
    return runtime
  }

  const base = createDefaultHandlers(ctx, {
    renderCard: (info) => (runtime !== null ? runtime.card() : provisionalCard(info)),
  })

  return {
    ...base,

    'identity.create': async (params, rpc) => {
      await base['identity.create'](params, rpc)
      await settled()
      return base['identity.get']({}, rpc)
    },

    'identity.unlock': async (params, rpc) => {
      await base['identity.unlock'](params, rpc)
      await settled()
      return base['identity.get']({}, rpc)
    },

    'node.doctor': async () => ({ checks: await requireRuntime().doctor() }),

    'identity.card': async () => {
      const card = requireRuntime().card()
      return {
        card,
        cardQrSvg: await QRCode.toString(card, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }),
      }
    },

    'identity.rotate': async ({ passphrase }, rpc) => {
      const rt = requireRuntime()
      // the passphrase confirms the user means it (and is checked against the keystore)
      await base['identity.unlock']({ passphrase }, rpc)
      const secrets = ctx.session.requireUnlocked().secrets
      const origin = secrets.originIdentitySeed ?? secrets.identitySeed
      const next = {
        ...secrets,
        identitySeed: generateIdentityKeyPair(ctx.suite).secretKey,
        originIdentitySeed: origin,
      }
      // stop the node, drop every session (they are bound to the old key), seal, start again
      runtime = null
      await rt.stop()
      const ops: BatchOp[] = []
      for (const prefix of [PREFIXES.session, PREFIXES.identityIndex])
        for await (const [key] of rt.vault.store.iterate({ prefix })) ops.push({ type: 'del', key })
      await rt.vault.store.batch(ops)
      await ctx.session.updateSecrets(next)
      const unlocked = ctx.session.requireUnlocked()
      starting = startRuntime(
        ctx,
        unlocked,
        withSavedNetwork(network, await readNetworkSettings(unlocked.store)),
      )
      try {
        runtime = await starting
      } finally {
        starting = null
      }
      ctx.log.info('identity key rotated')
      return base['identity.get']({}, rpc)
    },

    'contacts.add': async ({ card, name }) => {
      const rt = requireRuntime()
      let parsed: ReturnType<typeof parseContactCard>
      try {
        parsed = parseContactCard(ctx.suite, card)
      } catch (error) {
        if (error instanceof WrenCoreError)
          throw appError('INVALID_INPUT', `not a valid contact card: ${error.message}`)
        throw error
      }
      return toApiContact(await rt.messenger.addContact(parsed, name), rt.isOnline(parsed.devicePeerId))
    },

    'contacts.list': async () => {
      const rt = requireRuntime()
      return {
        contacts: (await rt.vault.listContacts()).map((c) =>
          toApiContact(c, c.devicePeerId !== null && rt.isOnline(c.devicePeerId)),
        ),
      }
    },

    'contacts.safetyNumber': async ({ userId }) => {
      const rt = requireRuntime()
      const contact = await rt.messenger.requireContact(userId)
      const { digits, qrPayload } = safetyNumberFingerprint(
        ctx.suite,
        { id: rt.userId, identityKey: rt.identity.publicKey },
        { id: parseUserId(contact.userId), identityKey: contact.identityKey },
      )
      const payload = Buffer.from(qrPayload).toString('base64')
      const qrSvg = await QRCode.toString(payload, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })
      return { safetyNumber: digits, qrPayload: payload, qrSvg }
    },

    'contacts.verify': async (params) => {
      const rt = requireRuntime()
      const { userId } = params
      const contact = await rt.messenger.requireContact(userId)
      const ours = { id: rt.userId, identityKey: rt.identity.publicKey }
      const theirs = { id: parseUserId(contact.userId), identityKey: contact.identityKey }
      let matches = true // compared: true is the user's own word that the numbers matched
      if ('safetyNumber' in params) {
        const { digits } = safetyNumberFingerprint(ctx.suite, ours, theirs)
        matches = params.safetyNumber.replace(/[\s\-.]+/g, '') === digits
      } else if ('qrPayload' in params) {
        const scanned = Buffer.from(params.qrPayload, 'base64')
        try {
          matches = verifySafetyNumberQr(ctx.suite, ours, theirs, scanned)
        } catch (error) {
          if (error instanceof DecodeError || error instanceof UnsupportedVersionError)
            throw appError('INVALID_INPUT', `not a safety number QR payload: ${error.message}`)
          throw error
        }
      }
      if (!matches)
        throw appError(
          'SAFETY_NUMBER_MISMATCH',
          'the safety number does not match: do not mark this contact verified',
        )
      return toApiContact(await rt.messenger.verifyContact(userId))
    },

    'contacts.acceptKeyChange': async ({ userId }) => {
      const rt = requireRuntime()
      return toApiContact(await rt.messenger.acceptKeyChange(userId))
    },

    'conversations.list': async () => {
      const rt = requireRuntime()
      const contacts = new Map((await rt.vault.listContacts()).map((c) => [c.userId, c]))
      const conversations: Conversation[] = []
      for (const record of await rt.vault.listConversations()) {
        const last = record.lastSeq > 0 ? await rt.vault.getMessage(record.id, record.lastSeq) : undefined
        const lastMessage = last === undefined ? null : toApiMessage(last, rt.messenger.waitingOf(last))
        conversations.push({
          id: record.id,
          kind: 'direct',
          peerUserId: record.peerUserId,
          groupId: null,
          title: contacts.get(record.peerUserId)?.displayName ?? record.peerUserId,
          lastMessage,
          unread: record.unread,
          updatedAt: record.updatedAt,
        })
      }
      conversations.push(...(await groupConversations(rt.groups)))
      conversations.sort((a, b) => b.updatedAt - a.updatedAt)
      return { conversations }
    },

    'messages.send': async ({ conversationId, text, clientId }) => {
      const rt = requireRuntime()
      const clientKey = clientId === undefined ? null : rt.vault.clientIdKey(conversationId, clientId)
      if (clientKey !== null) {
        const ref = await rt.vault.getClientIdRef(clientKey)
        if (ref !== undefined) {
          const message = await rt.vault.getMessage(ref.conversationId, ref.seq)
          if (message !== undefined)
            return { message: toApiMessage(message, rt.messenger.waitingOf(message)) }
        }
      }
      const message = isGroupConversation(conversationId)
        ? await rt.groups.messages.send(conversationId, text)
        : await rt.messenger
            .sendText(conversationId, text)
            .then((m) => toApiMessage(m, rt.messenger.waitingOf(m)))
      if (clientKey !== null)
        await rt.vault.store.batch([
          rt.vault.putMessageRefOp(clientKey, { conversationId, seq: message.seq }),
        ])
      return { message }
    },

    'messages.list': async ({ conversationId, before, limit }) => {
      const rt = requireRuntime()
      if (isGroupConversation(conversationId))
        return listGroupMessages(rt.groups, conversationId, before, limit ?? 50)
      const conversation = await rt.vault.getConversation(conversationId)
      if (conversation === undefined) {
        const peer = peerOfConversation(conversationId)
        await rt.messenger.requireContact(peer)
        return { messages: [] as Message[], hasMore: false }
      }
      const page = await rt.vault.listMessages(conversationId, before, limit ?? 50)
      return { ...page, messages: page.messages.map((m) => toApiMessage(m, rt.messenger.waitingOf(m))) }
    },

    'messages.markRead': async ({ conversationId, upToSeq }) => {
      const rt = requireRuntime()
      if (isGroupConversation(conversationId))
        return { updated: await rt.groups.messages.markRead(conversationId, upToSeq) }
      return { updated: await rt.messenger.markRead(conversationId, upToSeq) }
    },

    ...groupHandlers(() => requireRuntime().groups),

    ...settingsHandlers(ctx, () => runtime),
  }
}
