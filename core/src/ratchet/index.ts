/**
 * Double Ratchet (Signal spec) for Wren's 1:1 sessions: immutable states, transactional decrypt,
 * bounded skipped keys, a versioned wire message and a separately versioned disk format.
 */
export {
  MAX_RATCHET_MESSAGE_BYTES,
  MAX_RATCHET_PLAINTEXT_BYTES,
  MAX_RATCHET_STATE_BYTES,
  MAX_RECEIVER_CHAINS,
  MAX_SKIP_PER_CHAIN,
  MAX_SKIPPED_KEYS_TOTAL,
  RATCHET_MESSAGE_VERSION,
  RATCHET_STATE_VERSION,
} from './constants.ts'
export {
  type InitiatorInit,
  initAsInitiator,
  initAsResponder,
  type ResponderInit,
  ratchetDecrypt,
  ratchetEncrypt,
} from './double-ratchet.ts'
export { type DecodedRatchetMessage, decodeRatchetMessage, type RatchetHeader } from './message.ts'
export type { RatchetState } from './state.ts'
export { decodeRatchetState, encodeRatchetState } from './state-codec.ts'
