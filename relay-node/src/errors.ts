/** Named errors of the relay node. Expected per-request refusals are status codes, not errors. */

export class RelayError extends Error {
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'RelayError'
    this.code = code
  }
}

/** The config file or an environment override is invalid. */
export class ConfigError extends RelayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_RELAY_CONFIG', message, options)
    this.name = 'ConfigError'
  }
}

/** The persisted identity key is unreadable or has unsafe permissions. */
export class IdentityKeyError extends RelayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_RELAY_IDENTITY', message, options)
    this.name = 'IdentityKeyError'
  }
}

/** The mailbox store on disk is corrupt or of an unknown schema version. */
export class StoreError extends RelayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_RELAY_STORE', message, options)
    this.name = 'StoreError'
  }
}

/** coturn could not be started (missing binary, port taken) or its secret file is unsafe. */
export class TurnServerError extends RelayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_RELAY_TURN', message, options)
    this.name = 'TurnServerError'
  }
}
