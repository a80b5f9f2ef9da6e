/**
 * Call ids: 128 random bits from the injected randomness, written as 32 lowercase hex
 * characters wherever a call is named (RPC, logs, the call log).
 */
import { fromHex, toHex } from '../bytes.ts'
import { checkKey } from '../checks.ts'
import type { Random } from '../crypto/suite.ts'
import { DecodeError } from '../errors.ts'
import { CALL_ID_BYTES } from './constants.ts'

const CALL_ID_HEX = /^[0-9a-f]{32}$/

/** A fresh call id (raw bytes). */
export function newCallId(random: Random): Uint8Array {
  return random(CALL_ID_BYTES)
}

export function formatCallId(callId: Uint8Array): string {
  checkKey('call id', callId, CALL_ID_BYTES)
  return toHex(callId)
}

/** The bytes of a call id written as 32 lowercase hex characters; DecodeError otherwise. */
export function parseCallId(text: string): Uint8Array {
  if (!CALL_ID_HEX.test(text)) throw new DecodeError('call id must be 32 lowercase hex characters')
  return fromHex(text)
}
