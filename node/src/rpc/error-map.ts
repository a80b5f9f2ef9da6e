/**
 * Errors thrown under a handler → the JSON-RPC error a client sees, in one table.
 *
 * The domain throws its own errors (node/src/errors.ts: one family per outcome a client can act
 * on; each domain folder subclasses them); this table gives each family its application code,
 * and the profile session's own errors (locked, no identity, wrong passphrase) theirs. An
 * RpcError (appError) thrown by a handler passes through as it is. A
 * core parser refusing a value (DecodeError) means the params were bad. Anything else is a fault
 * of the daemon: the caller gets -32603 without details (those go to the daemon's log).
 *
 * Only the error's message travels, never its stack, cause or fields: domain messages are
 * written for the user ("no contact wu…") and carry no secrets or plaintext.
 */
import { DecodeError } from '../../../core/src/errors.ts'
import {
  AlreadyExistsError,
  InvalidInputError,
  KeyChangeUnacceptedError,
  NotFoundError,
  UnavailableError,
} from '../errors.ts'
import { NoIdentityError, ProfileLockedError } from '../profile/errors.ts'
import { WrongPassphraseError } from '../storage/errors.ts'
import { type AppErrorName, appError, JSONRPC_ERRORS, RpcError } from './errors.ts'

// biome-ignore lint/suspicious/noExplicitAny: any constructor of an Error subclass
type ErrorClass = abstract new (...args: any[]) => Error

/**
 * The domain error families and their application codes (instanceof: subclasses map too; the
 * first row that matches wins, so a finer class goes before its family).
 */
export const DOMAIN_ERROR_CODES: ReadonlyArray<readonly [ErrorClass, AppErrorName]> = [
  // the profile session (profile/session.ts): a locked profile gets no further than these
  [NoIdentityError, 'NO_IDENTITY'],
  [ProfileLockedError, 'LOCKED'],
  [WrongPassphraseError, 'WRONG_PASSPHRASE'],
  // the families (node/src/errors.ts)
  [NotFoundError, 'NOT_FOUND'],
  [InvalidInputError, 'INVALID_INPUT'],
  [AlreadyExistsError, 'ALREADY_EXISTS'],
  [KeyChangeUnacceptedError, 'KEY_CHANGED_UNACCEPTED'],
  [UnavailableError, 'UNAVAILABLE'],
]

/** The message of -32603: the same for every unexpected failure, so nothing internal leaks. */
export const INTERNAL_ERROR_MESSAGE = 'internal error'

/**
 * The JSON-RPC error for what a handler of `method` threw: a known error keeps its message and
 * gets its code; an unknown one becomes `internal: true` (log it, answer INTERNAL_ERROR_MESSAGE).
 */
export function toRpcError(error: unknown, method: string): { error: RpcError; internal: boolean } {
  if (error instanceof RpcError) return { error, internal: false }
  for (const [family, name] of DOMAIN_ERROR_CODES)
    if (error instanceof family) return { error: appError(name, error.message), internal: false }
  // The schemas are meant to be the parsers' languages; a parser that still refuses a value
  // (core's DecodeError) means the params were bad, not that the daemon failed.
  if (error instanceof DecodeError)
    return {
      error: new RpcError(
        JSONRPC_ERRORS.INVALID_PARAMS.code,
        `invalid params for ${method}: ${error.message}`,
      ),
      internal: false,
    }
  return {
    error: new RpcError(JSONRPC_ERRORS.INTERNAL_ERROR.code, INTERNAL_ERROR_MESSAGE),
    internal: true,
  }
}
