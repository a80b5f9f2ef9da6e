/**
 * The Double Ratchet (https://signal.org/docs/specifications/doubleratchet/, §3) over a CryptoSuite.
 * Per message: KDF_CK (2 HMACs), one HKDF for the AES-256-GCM key and nonce, one AES-GCM; a DH
 * ratchet step adds two X25519 and two KDF_RK.
 *
 * Decryption is transactional: the input state is never changed, a new state is returned only on
 * success, so a forged, tampered or replayed message cannot disturb a session.
 */
import { bytesEqual, wipe } from '../bytes.ts'
import { type CryptoSuite, type KeyPair, X25519_KEY_BYTES } from '../crypto/suite.ts'
import {
  AeadError,
  DecryptError,
  DuplicateMessageError,
  InvalidKeyError,
  InvalidStateError,
  TooManySkippedError,
} from '../errors.ts'
import {
  MAX_ASSOCIATED_DATA_BYTES,
  MAX_CHAIN_INDEX,
  MAX_RATCHET_PLAINTEXT_BYTES,
  MAX_SKIP_PER_CHAIN,
  RATCHET_KEY_BYTES,
} from './constants.ts'
import { chainMessageKey, kdfRoot, messageAeadKey, nextChainKey } from './kdf.ts'
import {
  type DecodedRatchetMessage,
  decodeRatchetMessage,
  encodeRatchetMessage,
  headerAssociatedData,
  type RatchetHeader,
} from './message.ts'
import {
  advanceChain,
  appendPreviousChain,
  boundSkippedKeys,
  finishChain,
  NO_SKIPPED_KEYS,
  type RatchetState,
  withoutKey,
} from './state.ts'

export interface InitiatorInit {
  /** SK from PQXDH, 32 bytes. */
  sharedSecret: Uint8Array
  /** AD from PQXDH (initiator IK ‖ responder IK). */
  associatedData: Uint8Array
  /** The responder's ratchet public key (its signed prekey), 32 bytes. */
  remoteRatchetKey: Uint8Array
}

export interface ResponderInit {
  sharedSecret: Uint8Array
  associatedData: Uint8Array
  /** Our signed prekey pair, whose public key the initiator used as remoteRatchetKey. */
  ourRatchetKeyPair: KeyPair
}

/** Spec §3.3 RatchetInitAlice: DHs fresh, DHr = remote key, (RK, CKs) = KDF_RK(SK, DH(DHs, DHr)). */
export function initAsInitiator(suite: CryptoSuite, init: InitiatorInit): RatchetState {
  checkKey('shared secret', init.sharedSecret, RATCHET_KEY_BYTES)
  checkKey('remote ratchet key', init.remoteRatchetKey, X25519_KEY_BYTES)
  checkAssociatedData(init.associatedData)
  const sendingRatchetKey = suite.x25519Generate()
  const dh = suite.x25519(sendingRatchetKey.secretKey, init.remoteRatchetKey)
  const { rootKey, chainKey } = kdfRoot(suite, init.sharedSecret, dh)
  wipe(dh)
  return {
    associatedData: init.associatedData.slice(),
    rootKey,
    sendingRatchetKey,
    sendingChain: { chainKey, index: 0 },
    previousCounter: 0,
    // DHr is known but no receiving chain exists yet: the first reply carries a new key and
    // triggers a DH ratchet step; the remote key itself is only needed for the DH above.
    receivingChain: null,
    previousChains: [],
  }
}

/**
 * Spec §3.3 RatchetInitBob: DHs = our prekey pair, RK = SK, no chains until the first message.
 * Needs no primitive (the suite parameter keeps core's uniform signature); the DH steps happen on
 * the first received message.
 */
export function initAsResponder(_suite: CryptoSuite, init: ResponderInit): RatchetState {
  checkKey('shared secret', init.sharedSecret, RATCHET_KEY_BYTES)
  checkKey('ratchet public key', init.ourRatchetKeyPair.publicKey, X25519_KEY_BYTES)
  checkKey('ratchet secret key', init.ourRatchetKeyPair.secretKey, X25519_KEY_BYTES)
  checkAssociatedData(init.associatedData)
  return {
    associatedData: init.associatedData.slice(),
    rootKey: init.sharedSecret.slice(),
    sendingRatchetKey: {
      publicKey: init.ourRatchetKeyPair.publicKey.slice(),
      secretKey: init.ourRatchetKeyPair.secretKey.slice(),
    },
    sendingChain: null,
    previousCounter: 0,
    receivingChain: null,
    previousChains: [],
  }
}

/** Spec §3.4 RatchetEncrypt. Throws InvalidStateError for a responder that has not received yet. */
export function ratchetEncrypt(
  suite: CryptoSuite,
  state: RatchetState,
  plaintext: Uint8Array,
): { state: RatchetState; message: Uint8Array } {
  if (!(plaintext instanceof Uint8Array)) throw new TypeError('plaintext must be a Uint8Array')
  if (plaintext.length > MAX_RATCHET_PLAINTEXT_BYTES)
    throw new RangeError(`plaintext of ${plaintext.length} bytes exceeds ${MAX_RATCHET_PLAINTEXT_BYTES}`)
  const chain = state.sendingChain
  if (chain === null)
    throw new InvalidStateError('no sending chain yet: the responder must receive a message first')
  if (chain.index >= MAX_CHAIN_INDEX) throw new InvalidStateError('sending chain exhausted')
  const header: RatchetHeader = {
    ratchetKey: state.sendingRatchetKey.publicKey,
    previousCounter: state.previousCounter,
    counter: chain.index,
  }
  const messageKey = chainMessageKey(suite, chain.chainKey)
  const aead = messageAeadKey(suite, messageKey)
  const ciphertext = suite.aesGcmEncrypt(
    aead.key,
    aead.nonce,
    plaintext,
    headerAssociatedData(state.associatedData, header),
  )
  wipe(messageKey, aead.material)
  return {
    state: {
      ...state,
      sendingChain: { chainKey: nextChainKey(suite, chain.chainKey), index: chain.index + 1 },
    },
    message: encodeRatchetMessage(header, ciphertext),
  }
}

/**
 * Spec §3.5 RatchetDecrypt. Never changes `state`. Throws DecodeError / UnsupportedVersionError
 * (malformed message), DuplicateMessageError (key already used), TooManySkippedError (more than
 * MAX_SKIP_PER_CHAIN keys to skip), DecryptError (authentication failed, bad ratchet key).
 */
export function ratchetDecrypt(
  suite: CryptoSuite,
  state: RatchetState,
  message: Uint8Array,
): { state: RatchetState; plaintext: Uint8Array } {
  const msg = decodeRatchetMessage(message)
  if (msg.counter >= MAX_CHAIN_INDEX) throw new DecryptError('message number out of range')
  const receiving = state.receivingChain
  if (receiving !== null && bytesEqual(msg.ratchetKey, receiving.ratchetKey)) {
    return decryptInCurrentChain(suite, state, msg)
  }
  const previousIndex = state.previousChains.findIndex((chain) =>
    bytesEqual(chain.ratchetKey, msg.ratchetKey),
  )
  if (previousIndex >= 0) return decryptInPreviousChain(suite, state, msg, previousIndex)
  return decryptWithRatchetStep(suite, state, msg)
}

function decryptInCurrentChain(
  suite: CryptoSuite,
  state: RatchetState,
  msg: DecodedRatchetMessage,
): { state: RatchetState; plaintext: Uint8Array } {
  const chain = state.receivingChain as NonNullable<RatchetState['receivingChain']>
  if (msg.counter < chain.index) {
    const key = chain.skipped.get(msg.counter)
    if (key === undefined) throw new DuplicateMessageError()
    const plaintext = open(suite, state.associatedData, key, msg, false)
    return {
      state: { ...state, receivingChain: { ...chain, skipped: withoutKey(chain.skipped, msg.counter) } },
      plaintext,
    }
  }
  checkSkip(chain.index, msg.counter)
  const step = advanceChain(suite, chain.chainKey, chain.index, msg.counter, chain.skipped)
  const plaintext = open(suite, state.associatedData, step.messageKey, msg, true)
  const receivingChain = { ...chain, chainKey: step.chainKey, index: msg.counter + 1, skipped: step.skipped }
  const next = { ...state, receivingChain }
  return { state: step.skipped === chain.skipped ? next : boundSkippedKeys(next), plaintext }
}

function decryptInPreviousChain(
  suite: CryptoSuite,
  state: RatchetState,
  msg: DecodedRatchetMessage,
  index: number,
): { state: RatchetState; plaintext: Uint8Array } {
  const chain = state.previousChains[index] as RatchetState['previousChains'][number]
  const key = chain.skipped.get(msg.counter)
  if (key === undefined) {
    if (msg.counter < chain.length) throw new DuplicateMessageError()
    throw new DecryptError('message number beyond the end of its chain')
  }
  const plaintext = open(suite, state.associatedData, key, msg, false)
  const previousChains = state.previousChains.slice()
  previousChains[index] = { ...chain, skipped: withoutKey(chain.skipped, msg.counter) }
  return { state: { ...state, previousChains }, plaintext }
}

/** Spec §3.5 DHRatchet, applied only once the message has authenticated. */
function decryptWithRatchetStep(
  suite: CryptoSuite,
  state: RatchetState,
  msg: DecodedRatchetMessage,
): { state: RatchetState; plaintext: Uint8Array } {
  const receiving = state.receivingChain
  if (receiving !== null) checkSkip(receiving.index, msg.previousCounter)
  checkSkip(0, msg.counter)
  let dh: Uint8Array
  try {
    dh = suite.x25519(state.sendingRatchetKey.secretKey, msg.ratchetKey)
  } catch (cause) {
    throw new DecryptError('unusable ratchet key', { cause })
  }
  const receiveStep = kdfRoot(suite, state.rootKey, dh)
  wipe(dh)
  const step = advanceChain(suite, receiveStep.chainKey, 0, msg.counter, NO_SKIPPED_KEYS)
  const plaintext = open(suite, state.associatedData, step.messageKey, msg, true)

  // Authenticated: finish the old receiving chain, then turn the sending ratchet.
  const previousChains =
    receiving === null
      ? state.previousChains
      : appendPreviousChain(state.previousChains, finishChain(suite, receiving, msg.previousCounter))
  const remoteRatchetKey = msg.ratchetKey.slice()
  const sendingRatchetKey = suite.x25519Generate()
  const dhSend = suite.x25519(sendingRatchetKey.secretKey, remoteRatchetKey)
  const sendStep = kdfRoot(suite, receiveStep.rootKey, dhSend)
  wipe(dhSend)
  return {
    state: boundSkippedKeys({
      associatedData: state.associatedData,
      rootKey: sendStep.rootKey,
      sendingRatchetKey,
      sendingChain: { chainKey: sendStep.chainKey, index: 0 },
      previousCounter: state.sendingChain?.index ?? 0,
      receivingChain: {
        ratchetKey: remoteRatchetKey,
        chainKey: step.chainKey,
        index: msg.counter + 1,
        skipped: step.skipped,
      },
      previousChains,
    }),
    plaintext,
  }
}

/** AEAD-open with a message key; wipes a freshly derived key, never one shared with a state. */
function open(
  suite: CryptoSuite,
  associatedData: Uint8Array,
  messageKey: Uint8Array,
  msg: DecodedRatchetMessage,
  fresh: boolean,
): Uint8Array {
  const aead = messageAeadKey(suite, messageKey)
  try {
    return suite.aesGcmDecrypt(
      aead.key,
      aead.nonce,
      msg.ciphertext,
      headerAssociatedData(associatedData, msg),
    )
  } catch (cause) {
    if (cause instanceof AeadError) throw new DecryptError('ratchet message failed authentication', { cause })
    throw cause
  } finally {
    wipe(aead.material)
    if (fresh) wipe(messageKey)
  }
}

/** Spec §3.5 SkipMessageKeys bound: refuse before deriving anything. */
function checkSkip(from: number, until: number): void {
  if (until - from > MAX_SKIP_PER_CHAIN)
    throw new TooManySkippedError(
      `message needs ${until - from} skipped keys, more than ${MAX_SKIP_PER_CHAIN}`,
    )
}

function checkKey(name: string, value: Uint8Array, length: number): void {
  if (!(value instanceof Uint8Array)) throw new InvalidKeyError(`${name} must be a Uint8Array`)
  if (value.length !== length)
    throw new InvalidKeyError(`${name} must be ${length} bytes, got ${value.length}`)
}

function checkAssociatedData(value: Uint8Array): void {
  if (!(value instanceof Uint8Array)) throw new TypeError('associated data must be a Uint8Array')
  if (value.length > MAX_ASSOCIATED_DATA_BYTES)
    throw new RangeError(`associated data of ${value.length} bytes exceeds ${MAX_ASSOCIATED_DATA_BYTES}`)
}
