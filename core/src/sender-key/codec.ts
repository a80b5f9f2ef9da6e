/**
 * Encoders and decoders for Sender Key wire messages and the disk state. Decoders take
 * untrusted bytes: size cap first, protobuf errors become DecodeError, every field is checked.
 */
import { ED25519_PUBLIC_KEY_BYTES, ED25519_SEED_BYTES, ED25519_SIGNATURE_BYTES } from '../crypto/suite.ts'
import { DecodeError, UnsupportedVersionError } from '../errors.ts'
import {
  type SenderChainRecord,
  SenderKeyDistributionMessage,
  SenderKeyMessage,
  SenderKeyRecord,
} from '../proto/sender-key.ts'
import {
  DISTRIBUTION_ID_BYTES,
  MAX_SENDER_KEY_DISTRIBUTION_BYTES,
  MAX_SENDER_KEY_ITERATION,
  MAX_SENDER_KEY_MESSAGE_BYTES,
  MAX_SENDER_KEY_PREVIOUS_CHAINS,
  MAX_SENDER_KEY_SKIPPED,
  MAX_SENDER_KEY_STATE_BYTES,
  SENDER_CHAIN_KEY_BYTES,
  SENDER_KEY_STATE_VERSION,
  SENDER_KEY_WIRE_VERSION,
  SENDER_MESSAGE_SEED_BYTES,
} from './constants.ts'
import { EMPTY_SKIPPED, type SenderChain, type SenderKeyState } from './state.ts'

/** Bytes per stored skipped key: u32 big-endian iteration ‖ 32-byte seed. */
const SKIPPED_ENTRY_BYTES = 4 + SENDER_MESSAGE_SEED_BYTES

function decodeProto<T>(what: string, decode: () => T): T {
  try {
    return decode()
  } catch (cause) {
    throw new DecodeError(`malformed ${what}`, { cause })
  }
}

function checkField(what: string, field: string, value: Uint8Array, length: number): void {
  if (value.length !== length)
    throw new DecodeError(`${what}: ${field} must be ${length} bytes, got ${value.length}`)
}

function checkVersion(what: string, version: number, expected: number): void {
  if (version !== expected)
    throw new UnsupportedVersionError(`${what} version ${version} (expected ${expected})`)
}

function checkIteration(what: string, iteration: number): void {
  if (iteration > MAX_SENDER_KEY_ITERATION)
    throw new DecodeError(`${what}: iteration ${iteration} out of range`)
}

// ---- messages: SenderKeyMessage bytes ‖ Ed25519 signature over those bytes

export interface DecodedSenderKeyMessage {
  readonly distributionId: Uint8Array
  readonly chainId: number
  readonly iteration: number
  readonly ciphertext: Uint8Array
  /** The exact signed bytes (a view into the input). */
  readonly signed: Uint8Array
  readonly signature: Uint8Array
}

export function decodeSenderKeyMessage(bytes: Uint8Array): DecodedSenderKeyMessage {
  const what = 'sender key message'
  if (bytes.length > MAX_SENDER_KEY_MESSAGE_BYTES)
    throw new DecodeError(`${what} exceeds ${MAX_SENDER_KEY_MESSAGE_BYTES} bytes`)
  if (bytes.length <= ED25519_SIGNATURE_BYTES) throw new DecodeError(`${what} too short`)
  const split = bytes.length - ED25519_SIGNATURE_BYTES
  const signed = bytes.subarray(0, split)
  const m = decodeProto(what, () => SenderKeyMessage.decode(signed))
  checkVersion(what, m.version, SENDER_KEY_WIRE_VERSION)
  checkField(what, 'distribution id', m.distributionId, DISTRIBUTION_ID_BYTES)
  checkIteration(what, m.iteration)
  return {
    distributionId: m.distributionId,
    chainId: m.chainId,
    iteration: m.iteration,
    ciphertext: m.ciphertext,
    signed,
    signature: bytes.subarray(split),
  }
}

/** The unsigned body of a message; the caller appends the signature. */
export function encodeSenderKeyMessageBody(
  distributionId: Uint8Array,
  chainId: number,
  iteration: number,
  ciphertext: Uint8Array,
): Uint8Array {
  return SenderKeyMessage.encode({
    version: SENDER_KEY_WIRE_VERSION,
    distributionId: distributionId as Uint8Array<ArrayBuffer>,
    chainId,
    iteration,
    ciphertext: ciphertext as Uint8Array<ArrayBuffer>,
  })
}

// ---- distribution messages

export interface SenderKeyDistribution {
  readonly distributionId: Uint8Array
  readonly chainId: number
  readonly iteration: number
  readonly chainKey: Uint8Array
  readonly signingPublicKey: Uint8Array
}

export function encodeSenderKeyDistribution(d: SenderKeyDistribution): Uint8Array {
  return SenderKeyDistributionMessage.encode({
    version: SENDER_KEY_WIRE_VERSION,
    distributionId: d.distributionId as Uint8Array<ArrayBuffer>,
    chainId: d.chainId,
    iteration: d.iteration,
    chainKey: d.chainKey as Uint8Array<ArrayBuffer>,
    signingKey: d.signingPublicKey as Uint8Array<ArrayBuffer>,
  })
}

export function decodeSenderKeyDistribution(bytes: Uint8Array): SenderKeyDistribution {
  const what = 'sender key distribution'
  if (bytes.length > MAX_SENDER_KEY_DISTRIBUTION_BYTES)
    throw new DecodeError(`${what} exceeds ${MAX_SENDER_KEY_DISTRIBUTION_BYTES} bytes`)
  const m = decodeProto(what, () => SenderKeyDistributionMessage.decode(bytes))
  checkVersion(what, m.version, SENDER_KEY_WIRE_VERSION)
  checkField(what, 'distribution id', m.distributionId, DISTRIBUTION_ID_BYTES)
  checkField(what, 'chain key', m.chainKey, SENDER_CHAIN_KEY_BYTES)
  checkField(what, 'signing key', m.signingKey, ED25519_PUBLIC_KEY_BYTES)
  checkIteration(what, m.iteration)
  // copies: the state outlives the caller's buffer
  return {
    distributionId: m.distributionId.slice(),
    chainId: m.chainId,
    iteration: m.iteration,
    chainKey: m.chainKey.slice(),
    signingPublicKey: m.signingKey.slice(),
  }
}

// ---- disk state

function encodeSkipped(skipped: ReadonlyMap<number, Uint8Array>): Uint8Array {
  const out = new Uint8Array(skipped.size * SKIPPED_ENTRY_BYTES)
  const view = new DataView(out.buffer)
  let offset = 0
  for (const [iteration, seed] of skipped) {
    view.setUint32(offset, iteration, false)
    out.set(seed, offset + 4)
    offset += SKIPPED_ENTRY_BYTES
  }
  return out
}

function decodeSkipped(
  what: string,
  bytes: Uint8Array,
  chainIteration: number,
): ReadonlyMap<number, Uint8Array> {
  if (bytes.length === 0) return EMPTY_SKIPPED
  if (bytes.length % SKIPPED_ENTRY_BYTES !== 0)
    throw new DecodeError(`${what}: skipped keys not a whole number of entries`)
  const count = bytes.length / SKIPPED_ENTRY_BYTES
  if (count > MAX_SENDER_KEY_SKIPPED)
    throw new DecodeError(`${what}: ${count} skipped keys exceed ${MAX_SENDER_KEY_SKIPPED}`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length)
  const skipped = new Map<number, Uint8Array>()
  let previous = -1
  for (let offset = 0; offset < bytes.length; offset += SKIPPED_ENTRY_BYTES) {
    const iteration = view.getUint32(offset, false)
    // ascending order is what makes "evict the first entry" evict the oldest key
    if (iteration <= previous || iteration >= chainIteration)
      throw new DecodeError(`${what}: skipped iteration ${iteration} out of order or not below the chain`)
    previous = iteration
    skipped.set(iteration, bytes.slice(offset + 4, offset + SKIPPED_ENTRY_BYTES))
  }
  return skipped
}

export function encodeSenderKeyState(state: SenderKeyState): Uint8Array {
  return SenderKeyRecord.encode({
    version: SENDER_KEY_STATE_VERSION,
    distributionId: state.distributionId as Uint8Array<ArrayBuffer>,
    chains: state.chains.map((c) => ({
      chainId: c.chainId,
      iteration: c.iteration,
      chainKey: c.chainKey as Uint8Array<ArrayBuffer>,
      signingPublicKey: c.signingPublicKey as Uint8Array<ArrayBuffer>,
      signingSecretKey: (c.signingSecretKey ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>,
      skipped: encodeSkipped(c.skipped) as Uint8Array<ArrayBuffer>,
    })),
  })
}

function decodeChain(what: string, r: SenderChainRecord): SenderChain {
  checkField(what, 'chain key', r.chainKey, SENDER_CHAIN_KEY_BYTES)
  checkField(what, 'signing public key', r.signingPublicKey, ED25519_PUBLIC_KEY_BYTES)
  if (r.signingSecretKey.length !== 0)
    checkField(what, 'signing secret key', r.signingSecretKey, ED25519_SEED_BYTES)
  if (r.iteration > MAX_SENDER_KEY_ITERATION + 1) throw new DecodeError(`${what}: iteration out of range`)
  const chain: SenderChain = {
    chainId: r.chainId,
    iteration: r.iteration,
    chainKey: r.chainKey.slice(),
    signingPublicKey: r.signingPublicKey.slice(),
    skipped: decodeSkipped(what, r.skipped, r.iteration),
  }
  return r.signingSecretKey.length === 0 ? chain : { ...chain, signingSecretKey: r.signingSecretKey.slice() }
}

export function decodeSenderKeyState(bytes: Uint8Array): SenderKeyState {
  const what = 'sender key state'
  if (bytes.length > MAX_SENDER_KEY_STATE_BYTES)
    throw new DecodeError(`${what} exceeds ${MAX_SENDER_KEY_STATE_BYTES} bytes`)
  const maxChains = 1 + MAX_SENDER_KEY_PREVIOUS_CHAINS
  const r = decodeProto(what, () => SenderKeyRecord.decode(bytes, { limits: { chains: maxChains } }))
  checkVersion(what, r.version, SENDER_KEY_STATE_VERSION)
  checkField(what, 'distribution id', r.distributionId, DISTRIBUTION_ID_BYTES)
  if (r.chains.length === 0) throw new DecodeError(`${what}: no chains`)
  const chains = r.chains.map((c) => decodeChain(what, c))
  const ids = new Set(chains.map((c) => c.chainId))
  if (ids.size !== chains.length) throw new DecodeError(`${what}: duplicate chain id`)
  return { distributionId: r.distributionId.slice(), chains }
}
