/** contacts.*: add from a card, list, safety numbers, verify, accept a changed key; presence, pictures. */
import { toHex } from '../../../../core/src/bytes.ts'
import { addContactByCard, comparisonMatches, safetyNumberWith } from '../../app/contacts.ts'
import type { ContactRecord } from '../../messaging/vault.ts'
import type { Contact } from '../api.ts'
import { appError } from '../errors.ts'
import type { HandlerDeps, NamespaceHandlers } from './deps.ts'
import { pictureView } from './picture-view.ts'
import { qrSvg } from './qr.ts'

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

export function contactsHandlers({ ctx, node }: HandlerDeps): NamespaceHandlers<'contacts'> {
  return {
    'contacts.add': async ({ card, name }) => {
      const { contact, online } = await addContactByCard(ctx.suite, node.runtime(), card, name)
      return toApiContact(contact, online)
    },

    'contacts.list': async () => {
      const rt = node.runtime()
      const contacts = await rt.vault.listContacts()
      return {
        contacts: contacts.map((c) =>
          toApiContact(c, c.devicePeerId !== null && rt.isOnline(c.devicePeerId)),
        ),
      }
    },

    'contacts.safetyNumber': async ({ userId }) => {
      const { digits, qrPayload } = await safetyNumberWith(ctx.suite, node.runtime(), userId)
      const payload = Buffer.from(qrPayload).toString('base64')
      return { safetyNumber: digits, qrPayload: payload, qrSvg: await qrSvg(payload) }
    },

    'contacts.verify': async ({ userId, ...proof }) => {
      const rt = node.runtime()
      if (!(await comparisonMatches(ctx.suite, rt, userId, proof)))
        throw appError(
          'SAFETY_NUMBER_MISMATCH',
          'the safety number does not match: do not mark this contact verified',
        )
      return toApiContact(await rt.messenger.verifyContact(userId))
    },

    'contacts.acceptKeyChange': async ({ userId }) =>
      toApiContact(await node.runtime().messenger.acceptKeyChange(userId)),

    'contacts.presence': async () => ({
      presence: (await node.runtime().ephemeral.presence()).map((p) => ({ ...p })),
    }),

    'contacts.picture': async ({ userId }) => {
      const rt = node.runtime()
      await rt.messenger.requireContact(userId)
      return { picture: pictureView(await rt.pictures.ofContact(userId)) }
    },

    'contacts.configurePresence': async ({ shared }) => {
      const { ephemeral } = node.runtime()
      const settings =
        shared === undefined ? ephemeral.settings : await ephemeral.configure({ presence: shared })
      return { shared: settings.presence }
    },
  }
}
