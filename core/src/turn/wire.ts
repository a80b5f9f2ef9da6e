/**
 * Frames of /wren/turn/1.0.0, parsed once at the edge into typed values. decodeTurnRequest is the
 * relay's parser, decodeTurnResponse the node's: size cap first, protons errors become
 * DecodeError, every field checked (credentials only with OK, URLs only turn:/turns:).
 */
import { checkDecodedUint, decodeCapped } from '../checks.ts'
import { DecodeError } from '../errors.ts'
import { TurnRequest as TurnRequestProto, TurnResponse as TurnResponseProto } from '../proto/turn.ts'
import {
  MAX_TURN_REQUEST_BYTES,
  MAX_TURN_RESPONSE_BYTES,
  MAX_TURN_URL_CHARS,
  MAX_TURN_URLS,
  MAX_TURN_USERNAME_CHARS,
  TURN_PASSWORD_CHARS,
  TURN_WIRE_VERSION,
} from './constants.ts'

/** Response statuses (0 = success; every other is a refusal reason). */
export const TURN_STATUS_OK = 0
/** The peer asked too often; retryAfterMs says when to ask again. */
export const TURN_STATUS_RATE_LIMITED = 1
/** The peer may not use this relay's TURN (e.g. it came over a relayed circuit). */
export const TURN_STATUS_DENIED = 2
/** This relay runs no TURN server (or it is not running now). */
export const TURN_STATUS_UNAVAILABLE = 3
/** The frame could not be decoded or has invalid fields. */
export const TURN_STATUS_MALFORMED = 4

const STATUS_NAMES: Readonly<Record<number, string>> = {
  [TURN_STATUS_OK]: 'ok',
  [TURN_STATUS_RATE_LIMITED]: 'rate_limited',
  [TURN_STATUS_DENIED]: 'denied',
  [TURN_STATUS_UNAVAILABLE]: 'unavailable',
  [TURN_STATUS_MALFORMED]: 'malformed',
}

/** Stable lowercase name of a status (logs, client refusals). */
export function turnStatusName(status: number): string {
  return STATUS_NAMES[status] ?? 'unknown'
}

export interface TurnCredential {
  readonly username: string
  readonly password: string
  /** Unix seconds after which coturn refuses it. */
  readonly expiresAtS: number
  /** turn: / turns: URLs of the relay's TURN server. */
  readonly urls: readonly string[]
}

export type TurnResponse =
  | ({ readonly status: typeof TURN_STATUS_OK } & TurnCredential)
  | { readonly status: number; readonly retryAfterMs: number }

export function encodeTurnRequest(): Uint8Array {
  return TurnRequestProto.encode({ version: TURN_WIRE_VERSION })
}

/** Parse an untrusted request (MAX_TURN_REQUEST_BYTES first). */
export function decodeTurnRequest(bytes: Uint8Array): { readonly version: number } {
  const p = decodeCapped('TURN request', bytes, MAX_TURN_REQUEST_BYTES, (b) => TurnRequestProto.decode(b))
  if (p.version !== TURN_WIRE_VERSION) throw new DecodeError(`TURN request version ${p.version}`)
  return { version: p.version }
}

export function encodeTurnResponse(response: TurnResponse): Uint8Array {
  if (response.status === TURN_STATUS_OK && 'username' in response)
    return TurnResponseProto.encode({
      status: TURN_STATUS_OK,
      username: response.username,
      password: response.password,
      expiresAt: response.expiresAtS,
      urls: [...response.urls],
      retryAfterMs: 0,
    })
  return TurnResponseProto.encode({
    status: response.status,
    username: '',
    password: '',
    expiresAt: 0,
    urls: [],
    retryAfterMs: 'retryAfterMs' in response ? response.retryAfterMs : 0,
  })
}

const TURN_URL = /^turns?:[A-Za-z0-9.\-[\]:]+(\?transport=(udp|tcp))?$/

/** Parse an untrusted response (MAX_TURN_RESPONSE_BYTES first). */
export function decodeTurnResponse(bytes: Uint8Array): TurnResponse {
  const p = decodeCapped('TURN response', bytes, MAX_TURN_RESPONSE_BYTES, (b) => TurnResponseProto.decode(b))
  if (!Object.hasOwn(STATUS_NAMES, p.status)) throw new DecodeError(`unknown TURN status ${p.status}`)
  checkDecodedUint('TURN expiry', p.expiresAt)
  if (p.status !== TURN_STATUS_OK) {
    if (p.username.length + p.password.length + p.urls.length > 0 || p.expiresAt !== 0)
      throw new DecodeError('credentials in a refusal')
    return { status: p.status, retryAfterMs: p.retryAfterMs }
  }
  if (p.username.length === 0 || p.username.length > MAX_TURN_USERNAME_CHARS)
    throw new DecodeError('TURN username length')
  if (!p.username.startsWith(`${p.expiresAt}:`))
    throw new DecodeError('TURN username does not carry its expiry')
  if (p.password.length !== TURN_PASSWORD_CHARS) throw new DecodeError('TURN password length')
  if (p.urls.length === 0 || p.urls.length > MAX_TURN_URLS) throw new DecodeError('TURN url count')
  for (const url of p.urls)
    if (url.length > MAX_TURN_URL_CHARS || !TURN_URL.test(url)) throw new DecodeError('invalid TURN url')
  return {
    status: TURN_STATUS_OK,
    username: p.username,
    password: p.password,
    expiresAtS: p.expiresAt,
    urls: p.urls,
  }
}
