/** Sender Keys for group messaging (Signal's design); see lifecycle.ts and cipher.ts. */
export { peekSenderKeyMessage, senderKeyDecrypt, senderKeyEncrypt } from './cipher.ts'
export {
  decodeSenderKeyDistribution,
  decodeSenderKeyState,
  encodeSenderKeyState,
  type SenderKeyDistribution,
} from './codec.ts'
export {
  DISTRIBUTION_ID_BYTES,
  MAX_SENDER_KEY_DISTRIBUTION_BYTES,
  MAX_SENDER_KEY_FORWARD_JUMP,
  MAX_SENDER_KEY_MESSAGE_BYTES,
  MAX_SENDER_KEY_PREVIOUS_CHAINS,
  MAX_SENDER_KEY_SKIPPED,
  MAX_SENDER_KEY_STATE_BYTES,
  SENDER_KEY_STATE_VERSION,
  SENDER_KEY_WIRE_VERSION,
} from './constants.ts'
export {
  createSenderKey,
  processSenderKeyDistribution,
  rotateSenderKey,
  senderKeyDistribution,
} from './lifecycle.ts'
export type { SenderChain, SenderKeyState } from './state.ts'
