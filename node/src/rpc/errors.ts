/**
 * Error codes of the Wren JSON-RPC API. Standard JSON-RPC 2.0 codes, plus application codes in
 * the implementation-defined range -32000..-32099. Every application error carries
 * `data.error` = its name (e.g. 'LOCKED') so clients can switch on a stable string.
 */

export const JSONRPC_ERRORS = {
  PARSE_ERROR: { code: -32700, description: 'The message is not valid JSON.' },
  INVALID_REQUEST: { code: -32600, description: 'The message is not a valid JSON-RPC 2.0 request.' },
  METHOD_NOT_FOUND: { code: -32601, description: 'No method with that name.' },
  INVALID_PARAMS: {
    code: -32602,
    description: 'Params do not match the method schema; the message names the field.',
  },
  INTERNAL_ERROR: {
    code: -32603,
    description: 'Unexpected failure inside the daemon (details are only in its log).',
  },
} as const

export const APP_ERRORS = {
  LOCKED: { code: -32001, description: 'The profile is locked: call identity.unlock first.' },
  NO_IDENTITY: { code: -32002, description: 'The profile has no identity yet: call identity.create first.' },
  NOT_FOUND: { code: -32003, description: 'The contact, conversation or message does not exist.' },
  KEY_CHANGED_UNACCEPTED: {
    code: -32004,
    description: "The contact's identity key changed and the user has not accepted the new key.",
  },
  WRONG_PASSPHRASE: { code: -32005, description: 'The passphrase does not open the keystore.' },
  ALREADY_EXISTS: { code: -32006, description: 'The identity or contact already exists.' },
  SAFETY_NUMBER_MISMATCH: {
    code: -32007,
    description: 'The safety number given does not match the computed one.',
  },
  NOT_IMPLEMENTED: {
    code: -32008,
    description: 'The method is declared but this daemon does not implement it yet.',
  },
  INVALID_INPUT: {
    code: -32009,
    description: 'Params are well-formed but their content is unusable (e.g. a bad card).',
  },
  UNAVAILABLE: {
    code: -32010,
    description: 'A required service is not running (e.g. the network is not started).',
  },
} as const

export type AppErrorName = keyof typeof APP_ERRORS

/** A JSON-RPC error: thrown by handlers (use appError) and rejected by the client. */
export class RpcError extends Error {
  readonly code: number
  readonly data: unknown
  constructor(code: number, message: string, data?: unknown) {
    super(message)
    this.name = 'RpcError'
    this.code = code
    this.data = data
  }

  /** The application error name (e.g. 'LOCKED') when this is an application error. */
  get errorName(): AppErrorName | undefined {
    const d = this.data as { error?: unknown } | undefined
    return typeof d?.error === 'string' && d.error in APP_ERRORS ? (d.error as AppErrorName) : undefined
  }
}

/** An application error to throw from a handler: `throw appError('LOCKED', 'profile is locked')`. */
export function appError(name: AppErrorName, message: string, extra?: Record<string, unknown>): RpcError {
  return new RpcError(APP_ERRORS[name].code, message, { error: name, ...extra })
}

/** The client could not reach or authenticate to the daemon, or the connection closed. */
export class RpcConnectionError extends Error {
  readonly code: string
  constructor(code: 'ERR_UNAUTHORIZED' | 'ERR_CONNECT' | 'ERR_CLOSED' | 'ERR_TIMEOUT', message: string) {
    super(message)
    this.name = 'RpcConnectionError'
    this.code = code
  }
}
