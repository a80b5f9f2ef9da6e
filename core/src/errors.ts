/**
 * Named error classes for core/. Every failure a caller may need to tell apart has its own
 * class with `name` set and a stable `code`. Modules may add errors here (append only).
 */

export class WrenCoreError extends Error {
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'WrenCoreError'
    this.code = code
  }
}

/** A primitive was misused or failed (bad key length, low-order point). */
export class CryptoError extends WrenCoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CRYPTO', message, options)
    this.name = 'CryptoError'
  }
}

/** AEAD authentication failed: wrong key, tampered ciphertext or associated data. */
export class AeadError extends WrenCoreError {
  constructor(message = 'authentication failed', options?: { cause?: unknown }) {
    super('ERR_AEAD', message, options)
    this.name = 'AeadError'
  }
}

/** Untrusted bytes could not be parsed (malformed, truncated, over the size cap). */
export class DecodeError extends WrenCoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_DECODE', message, options)
    this.name = 'DecodeError'
  }
}

/** A structure carries a version this code does not understand. */
export class UnsupportedVersionError extends WrenCoreError {
  constructor(message: string) {
    super('ERR_UNSUPPORTED_VERSION', message)
    this.name = 'UnsupportedVersionError'
  }
}

/** A signature did not verify (bundle, device certificate, sender-key message, operation). */
export class InvalidSignatureError extends WrenCoreError {
  constructor(message: string) {
    super('ERR_INVALID_SIGNATURE', message)
    this.name = 'InvalidSignatureError'
  }
}

/** A key has the wrong length or is otherwise unusable. */
export class InvalidKeyError extends WrenCoreError {
  constructor(message: string) {
    super('ERR_INVALID_KEY', message)
    this.name = 'InvalidKeyError'
  }
}

/** A bundle, certificate or message is outside its validity window. */
export class ExpiredError extends WrenCoreError {
  constructor(message: string) {
    super('ERR_EXPIRED', message)
    this.name = 'ExpiredError'
  }
}

/** A message (ratchet or sender key) was already decrypted: replay or duplicate. */
export class DuplicateMessageError extends WrenCoreError {
  constructor(message = 'message already received') {
    super('ERR_DUPLICATE_MESSAGE', message)
    this.name = 'DuplicateMessageError'
  }
}

/** A message would need more skipped keys than the bounds allow. */
export class TooManySkippedError extends WrenCoreError {
  constructor(message: string) {
    super('ERR_TOO_MANY_SKIPPED', message)
    this.name = 'TooManySkippedError'
  }
}

/** Decryption failed for a reason other than a duplicate (bad MAC, wrong session). */
export class DecryptError extends WrenCoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_DECRYPT', message, options)
    this.name = 'DecryptError'
  }
}

/** Protocol state does not allow the operation (no session, unknown sender key, ...). */
export class InvalidStateError extends WrenCoreError {
  constructor(message: string) {
    super('ERR_INVALID_STATE', message)
    this.name = 'InvalidStateError'
  }
}

/** A payload is larger than the format allows (e.g. sealed content past the largest padding bucket). */
export class TooLargeError extends WrenCoreError {
  constructor(message: string) {
    super('ERR_TOO_LARGE', message)
    this.name = 'TooLargeError'
  }
}

/** A DHT put carried a record that loses to the one already stored under its key (a rollback). */
export class StaleRecordError extends WrenCoreError {
  constructor(message: string) {
    super('ERR_STALE_RECORD', message)
    this.name = 'StaleRecordError'
  }
}

/** A file, chunk or pointer was described inconsistently by the caller (size, index, lengths). */
export class FileLayoutError extends WrenCoreError {
  constructor(message: string) {
    super('ERR_FILE_LAYOUT', message)
    this.name = 'FileLayoutError'
  }
}
