/**
 * Contacts as the user handles them: adding one from the card they were given (a string), the
 * safety number shared with one, and checking the proof that the user compared it before the
 * contact is marked verified.
 */
import { parseContactCard } from '../../../core/src/contact-card.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import { DecodeError, UnsupportedVersionError, WrenCoreError } from '../../../core/src/errors.ts'
import { parseUserId } from '../../../core/src/identity.ts'
import { safetyNumberFingerprint, verifySafetyNumberQr } from '../../../core/src/safety-number.ts'
import { InvalidInputError } from '../errors.ts'
import type { ContactRecord } from '../messaging/vault.ts'
import type { Runtime } from './runtime.ts'

/** Add (or update) the contact a card describes; InvalidInputError when it is not a valid card. */
export async function addContactByCard(
  suite: CryptoSuite,
  rt: Runtime,
  card: string,
  name: string | undefined,
): Promise<{ contact: ContactRecord; online: boolean }> {
  let parsed: ReturnType<typeof parseContactCard>
  try {
    parsed = parseContactCard(suite, card)
  } catch (error) {
    if (error instanceof WrenCoreError)
      throw new InvalidInputError(`not a valid contact card: ${error.message}`, { cause: error })
    throw error
  }
  const contact = await rt.messenger.addContact(parsed, name)
  // a contact whose device is connected already (it handed its card over) hears our presence now
  void rt.ephemeral.contactAdded(contact.userId)
  return { contact, online: rt.isOnline(parsed.devicePeerId) }
}

function parties(rt: Runtime, contact: ContactRecord) {
  return {
    ours: { id: rt.userId, identityKey: rt.identity.publicKey },
    theirs: { id: parseUserId(contact.userId), identityKey: contact.identityKey },
  }
}

/** The safety number of the user and a contact: 60 digits, and the payload of its QR code. */
export async function safetyNumberWith(
  suite: CryptoSuite,
  rt: Runtime,
  userId: string,
): Promise<{ digits: string; qrPayload: Uint8Array }> {
  const { ours, theirs } = parties(rt, await rt.messenger.requireContact(userId))
  return safetyNumberFingerprint(suite, ours, theirs)
}

/** How the user says they compared the safety number (contacts.verify). */
export type ComparisonProof =
  | { readonly safetyNumber: string }
  | { readonly qrPayload: string }
  | { readonly compared: true }

/**
 * Whether the proof matches the safety number shared with the contact: the digits read out
 * (spaces, dashes and dots ignored), the base64 payload scanned from their QR code, or the user's
 * own word (true). InvalidInputError when the payload is not a safety-number QR payload.
 */
export async function comparisonMatches(
  suite: CryptoSuite,
  rt: Runtime,
  userId: string,
  proof: ComparisonProof,
): Promise<boolean> {
  const { ours, theirs } = parties(rt, await rt.messenger.requireContact(userId))
  if ('safetyNumber' in proof) {
    const { digits } = safetyNumberFingerprint(suite, ours, theirs)
    return proof.safetyNumber.replace(/[\s\-.]+/g, '') === digits
  }
  if ('qrPayload' in proof) {
    const scanned = Buffer.from(proof.qrPayload, 'base64')
    try {
      return verifySafetyNumberQr(suite, ours, theirs, scanned)
    } catch (error) {
      if (error instanceof DecodeError || error instanceof UnsupportedVersionError)
        throw new InvalidInputError(`not a safety number QR payload: ${error.message}`, { cause: error })
      throw error
    }
  }
  return true
}
