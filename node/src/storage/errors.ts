/**
 * Named errors of the node storage layer (keystore, sealed store, profile files). Each has `name`
 * set and a stable `code` so callers (and the RPC layer) can tell them apart.
 */

export class StorageError extends Error {
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StorageError'
    this.code = code
  }
}

/** The passphrase did not open the keystore (AEAD authentication failed under the derived key). */
export class WrongPassphraseError extends StorageError {
  constructor(message = 'wrong passphrase') {
    super('ERR_WRONG_PASSPHRASE', message)
    this.name = 'WrongPassphraseError'
  }
}

/** A keystore file is malformed, too large, or has an unknown version or parameters. */
export class KeystoreFormatError extends StorageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_KEYSTORE_FORMAT', message, options)
    this.name = 'KeystoreFormatError'
  }
}

/** A keystore already exists where a new one was to be created. */
export class KeystoreExistsError extends StorageError {
  constructor(path: string) {
    super('ERR_KEYSTORE_EXISTS', `keystore already exists: ${path}`)
    this.name = 'KeystoreExistsError'
  }
}

/** A sealed value could not be opened: wrong storage key, tampering, or a value moved under another key. */
export class SealedValueError extends StorageError {
  constructor(key: string, options?: { cause?: unknown }) {
    super('ERR_SEALED_VALUE', `cannot open sealed value at key ${JSON.stringify(key)}`, options)
    this.name = 'SealedValueError'
  }
}

/** A record key is not an allowed opaque id (see sealed-store.ts for the rule). */
export class InvalidRecordKeyError extends StorageError {
  constructor(message: string) {
    super('ERR_INVALID_RECORD_KEY', message)
    this.name = 'InvalidRecordKeyError'
  }
}

/** A value cannot be stored as JSON (cycles, functions, bigint, ...). */
export class ValueEncodingError extends StorageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_VALUE_ENCODING', message, options)
    this.name = 'ValueEncodingError'
  }
}

/**
 * A value read back from the profile database does not match the schema of its record type (or
 * carries a schema version this build does not read): the profile was written by something else,
 * or damaged. Names the record key, never the value (it may hold secrets or message text).
 */
export class StoredRecordError extends StorageError {
  readonly key: string
  constructor(key: string, message: string, options?: { cause?: unknown }) {
    super('ERR_STORED_RECORD', `record at ${JSON.stringify(key)}: ${message}`, options)
    this.name = 'StoredRecordError'
    this.key = key
  }
}
