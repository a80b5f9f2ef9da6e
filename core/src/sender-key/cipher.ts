/**
 * Sender Key encryption and decryption. Per message: 2 HMAC (message seed, next chain key),
 * 1 HKDF, 1 AES-256-GCM and 1 Ed25519 sign (encrypt) or verify (decrypt).
 *
 * Wire: SenderKeyMessage { version, distributionId, chainId, iteration, ciphertext } ‖ 64-byte
 * Ed25519 signature over those encoded bytes. Decrypt checks the signature before anything
 * else that costs work or touches state, so only the holder of the signing key can make a
 * receiver walk its chain forward.
 */
import { bytesEqual, wipe } from '../bytes.ts'
import type { CryptoSuite } from '../crypto/suite.ts'
import {
  AeadError,
  DecryptError,
  DuplicateMessageError,
  InvalidSignatureError,
  InvalidStateError,
  TooManySkippedError,
} from '../errors.ts'
import { decodeSenderKeyMessage, encodeSenderKeyMessageBody } from './codec.ts'
import { MAX_SENDER_KEY_FORWARD_JUMP, MAX_SENDER_KEY_ITERATION, MAX_SENDER_KEY_SKIPPED } from './constants.ts'
import {
  messageAad,
  messageKeys,
  messageSeed,
  nextChainKey,
  replaceChain,
  type SenderChain,
  type SenderKeyState,
} from './state.ts'

/** Encrypt and sign with our current chain. Persist the returned state before sending. */
export function senderKeyEncrypt(
  suite: CryptoSuite,
  state: SenderKeyState,
  plaintext: Uint8Array,
): { state: SenderKeyState; message: Uint8Array } {
  const chain = state.chains[0]
  if (chain?.signingSecretKey === undefined)
    throw new InvalidStateError('not our own sender key: a receiver copy cannot encrypt')
  if (chain.iteration > MAX_SENDER_KEY_ITERATION)
    throw new InvalidStateError('sender chain exhausted: rotate')
  const seed = messageSeed(suite, chain.chainKey)
  const { key, nonce } = messageKeys(suite, seed)
  const aad = messageAad(state.distributionId, chain.chainId, chain.iteration)
  const ciphertext = suite.aesGcmEncrypt(key, nonce, plaintext, aad)
  wipe(seed, key, nonce)
  const body = encodeSenderKeyMessageBody(state.distributionId, chain.chainId, chain.iteration, ciphertext)
  const signature = suite.ed25519Sign(chain.signingSecretKey, body)
  const message = new Uint8Array(body.length + signature.length)
  message.set(body, 0)
  message.set(signature, body.length)
  const next: SenderChain = {
    ...chain,
    iteration: chain.iteration + 1,
    chainKey: nextChainKey(suite, chain.chainKey),
  }
  return { state: replaceChain(state, 0, next), message }
}

/** Header fields of a message, unauthenticated: use them only to find the state to decrypt with. */
export function peekSenderKeyMessage(message: Uint8Array): {
  distributionId: Uint8Array
  chainId: number
  iteration: number
} {
  const m = decodeSenderKeyMessage(message)
  return { distributionId: m.distributionId.slice(), chainId: m.chainId, iteration: m.iteration }
}

/**
 * Verify and decrypt a message with a receiver state. The input state is never changed.
 * Throws DecodeError / UnsupportedVersionError (malformed), InvalidStateError (other
 * distribution or unknown chain, e.g. a chain started after we were removed),
 * InvalidSignatureError (checked first), DuplicateMessageError (already read, or its skipped
 * key was evicted), TooManySkippedError (beyond MAX_SENDER_KEY_FORWARD_JUMP), DecryptError.
 */
export function senderKeyDecrypt(
  suite: CryptoSuite,
  state: SenderKeyState,
  message: Uint8Array,
): { state: SenderKeyState; plaintext: Uint8Array } {
  const m = decodeSenderKeyMessage(message)
  if (!bytesEqual(m.distributionId, state.distributionId))
    throw new InvalidStateError('sender key message is for another distribution id')
  const index = state.chains.findIndex((c) => c.chainId === m.chainId)
  const chain = state.chains[index]
  if (chain === undefined)
    throw new InvalidStateError(`no sender key chain ${m.chainId} for this distribution`)
  if (!suite.ed25519Verify(chain.signingPublicKey, m.signed, m.signature))
    throw new InvalidSignatureError('sender key message signature does not verify')

  const { seed, next } = takeMessageSeed(suite, chain, m.iteration)
  const { key, nonce } = messageKeys(suite, seed)
  let plaintext: Uint8Array
  try {
    plaintext = suite.aesGcmDecrypt(
      key,
      nonce,
      m.ciphertext,
      messageAad(m.distributionId, m.chainId, m.iteration),
    )
  } catch (cause) {
    if (cause instanceof AeadError)
      throw new DecryptError('sender key message failed authentication', { cause })
    throw cause
  } finally {
    wipe(key, nonce)
  }
  return { state: replaceChain(state, index, next), plaintext }
}

/** The message seed for `iteration` and the chain after using it (input chain untouched). */
function takeMessageSeed(
  suite: CryptoSuite,
  chain: SenderChain,
  iteration: number,
): { seed: Uint8Array; next: SenderChain } {
  if (iteration < chain.iteration) {
    const seed = chain.skipped.get(iteration)
    if (seed === undefined)
      throw new DuplicateMessageError(`sender key iteration ${iteration} already received`)
    const skipped = new Map(chain.skipped)
    skipped.delete(iteration)
    return { seed, next: { ...chain, skipped } }
  }
  const jump = iteration - chain.iteration
  if (jump > MAX_SENDER_KEY_FORWARD_JUMP)
    throw new TooManySkippedError(
      `sender key jump of ${jump} iterations exceeds ${MAX_SENDER_KEY_FORWARD_JUMP}`,
    )
  let chainKey = chain.chainKey
  let skipped = chain.skipped
  if (jump > 0) {
    // only the newest MAX_SENDER_KEY_SKIPPED seeds could survive eviction: derive just those
    const firstKept = iteration - MAX_SENDER_KEY_SKIPPED
    const grown = new Map(chain.skipped)
    for (let i = chain.iteration; i < iteration; i++) {
      if (i >= firstKept) grown.set(i, messageSeed(suite, chainKey))
      chainKey = nextChainKey(suite, chainKey)
    }
    for (const oldest of grown.keys()) {
      if (grown.size <= MAX_SENDER_KEY_SKIPPED) break
      grown.delete(oldest)
    }
    skipped = grown
  }
  const seed = messageSeed(suite, chainKey)
  return {
    seed,
    next: { ...chain, iteration: iteration + 1, chainKey: nextChainKey(suite, chainKey), skipped },
  }
}
