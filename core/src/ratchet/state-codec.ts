/**
 * Disk format of a ratchet state: the RatchetStateRecord protobuf, versioned by
 * RATCHET_STATE_VERSION independently of the wire message. Decoding treats the bytes as untrusted
 * (a corrupt or hostile file): size cap first, then protobuf, version and every field checked.
 */
import { X25519_KEY_BYTES } from '../crypto/suite.ts'
import { DecodeError, UnsupportedVersionError } from '../errors.ts'
import { type RatchetChainRecord, RatchetStateRecord } from '../proto/ratchet.ts'
import {
  MAX_ASSOCIATED_DATA_BYTES,
  MAX_CHAIN_INDEX,
  MAX_RATCHET_STATE_BYTES,
  MAX_RECEIVER_CHAINS,
  MAX_SKIP_PER_CHAIN,
  MAX_SKIPPED_KEYS_TOTAL,
  RATCHET_KEY_BYTES,
  RATCHET_STATE_VERSION,
  SKIPPED_ENTRY_BYTES,
} from './constants.ts'
import {
  countSkippedKeys,
  type PreviousChain,
  type RatchetState,
  type ReceivingChain,
  type SkippedKeys,
} from './state.ts'

type Bytes = Uint8Array<ArrayBuffer>
const EMPTY: Bytes = new Uint8Array(0)

export function encodeRatchetState(state: RatchetState): Uint8Array {
  const receiving = state.receivingChain
  return RatchetStateRecord.encode({
    version: RATCHET_STATE_VERSION,
    associatedData: state.associatedData as Bytes,
    rootKey: state.rootKey as Bytes,
    sendingRatchetPublicKey: state.sendingRatchetKey.publicKey as Bytes,
    sendingRatchetSecretKey: state.sendingRatchetKey.secretKey as Bytes,
    sendingChainKey: (state.sendingChain?.chainKey ?? EMPTY) as Bytes,
    sendingIndex: state.sendingChain?.index ?? 0,
    previousCounter: state.previousCounter,
    receiving:
      receiving === null
        ? undefined
        : {
            ratchetKey: receiving.ratchetKey as Bytes,
            chainKey: receiving.chainKey as Bytes,
            index: receiving.index,
            skipped: encodeSkipped(receiving.skipped),
          },
    previous: state.previousChains.map((chain) => ({
      ratchetKey: chain.ratchetKey as Bytes,
      chainKey: EMPTY,
      index: chain.length,
      skipped: encodeSkipped(chain.skipped),
    })),
  })
}

/** Throws DecodeError (malformed, over the cap, bad field) or UnsupportedVersionError. */
export function decodeRatchetState(bytes: Uint8Array): RatchetState {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('ratchet state must be a Uint8Array')
  if (bytes.length > MAX_RATCHET_STATE_BYTES)
    throw new DecodeError(`ratchet state of ${bytes.length} bytes exceeds ${MAX_RATCHET_STATE_BYTES}`)
  let record: RatchetStateRecord
  try {
    record = RatchetStateRecord.decode(bytes, { limits: { previous: MAX_RECEIVER_CHAINS } })
  } catch (cause) {
    throw new DecodeError('malformed ratchet state', { cause })
  }
  if (record.version !== RATCHET_STATE_VERSION)
    throw new UnsupportedVersionError(`ratchet state version ${record.version}`)
  if (record.associatedData.length > MAX_ASSOCIATED_DATA_BYTES)
    throw new DecodeError('associated data too long')
  checkLength('root key', record.rootKey, RATCHET_KEY_BYTES)
  checkLength('sending ratchet public key', record.sendingRatchetPublicKey, X25519_KEY_BYTES)
  checkLength('sending ratchet secret key', record.sendingRatchetSecretKey, X25519_KEY_BYTES)
  let sendingChain: RatchetState['sendingChain'] = null
  if (record.sendingChainKey.length === 0) {
    if (record.sendingIndex !== 0 || record.previousCounter !== 0)
      throw new DecodeError('counters set without a sending chain')
  } else {
    checkLength('sending chain key', record.sendingChainKey, RATCHET_KEY_BYTES)
    checkIndex('sending index', record.sendingIndex)
    sendingChain = { chainKey: record.sendingChainKey.slice(), index: record.sendingIndex }
  }
  const receivingChain = record.receiving === undefined ? null : decodeReceiving(record.receiving)
  const previousChains = record.previous.map(decodePrevious)
  const state: RatchetState = {
    associatedData: record.associatedData.slice(),
    rootKey: record.rootKey.slice(),
    sendingRatchetKey: {
      publicKey: record.sendingRatchetPublicKey.slice(),
      secretKey: record.sendingRatchetSecretKey.slice(),
    },
    sendingChain,
    previousCounter: record.previousCounter,
    receivingChain,
    previousChains,
  }
  if (countSkippedKeys(state) > MAX_SKIPPED_KEYS_TOTAL) throw new DecodeError('too many skipped keys')
  return state
}

function decodeReceiving(record: RatchetChainRecord): ReceivingChain {
  checkLength('receiving ratchet key', record.ratchetKey, X25519_KEY_BYTES)
  checkLength('receiving chain key', record.chainKey, RATCHET_KEY_BYTES)
  checkIndex('receiving index', record.index)
  return {
    ratchetKey: record.ratchetKey.slice(),
    chainKey: record.chainKey.slice(),
    index: record.index,
    skipped: decodeSkipped(record.skipped, record.index),
  }
}

function decodePrevious(record: RatchetChainRecord): PreviousChain {
  checkLength('previous ratchet key', record.ratchetKey, X25519_KEY_BYTES)
  if (record.chainKey.length !== 0) throw new DecodeError('an old chain keeps no chain key')
  checkIndex('previous chain length', record.index)
  return {
    ratchetKey: record.ratchetKey.slice(),
    length: record.index,
    skipped: decodeSkipped(record.skipped, record.index),
  }
}

/** 36-byte entries: u32 big-endian message number ‖ 32-byte key, ascending. */
function encodeSkipped(skipped: SkippedKeys): Bytes {
  const out = new Uint8Array(skipped.size * SKIPPED_ENTRY_BYTES)
  const view = new DataView(out.buffer)
  let offset = 0
  for (const [n, key] of skipped) {
    view.setUint32(offset, n)
    out.set(key, offset + 4)
    offset += SKIPPED_ENTRY_BYTES
  }
  return out
}

function decodeSkipped(bytes: Uint8Array, end: number): SkippedKeys {
  if (bytes.length % SKIPPED_ENTRY_BYTES !== 0) throw new DecodeError('skipped keys are not whole entries')
  const count = bytes.length / SKIPPED_ENTRY_BYTES
  if (count > MAX_SKIP_PER_CHAIN) throw new DecodeError('too many skipped keys in one chain')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const skipped = new Map<number, Uint8Array>()
  let last = -1
  for (let offset = 0; offset < bytes.length; offset += SKIPPED_ENTRY_BYTES) {
    const n = view.getUint32(offset)
    if (n <= last || n >= end)
      throw new DecodeError('skipped message numbers must ascend below the chain index')
    // A copy per key, so no buffer keeps a used key alive after it is deleted from the map.
    skipped.set(n, bytes.slice(offset + 4, offset + SKIPPED_ENTRY_BYTES))
    last = n
  }
  return skipped
}

function checkLength(name: string, value: Uint8Array, length: number): void {
  if (value.length !== length) throw new DecodeError(`${name} must be ${length} bytes, got ${value.length}`)
}

function checkIndex(name: string, value: number): void {
  if (value > MAX_CHAIN_INDEX) throw new DecodeError(`${name} out of range`)
}
