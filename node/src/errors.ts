/**
 * The families of domain errors of the user's node. Each domain folder (messaging, groups,
 * profile, …) names its own errors in its `errors.ts` as subclasses of one of these, with `name`
 * set; `rpc/` maps the families (and any finer class it cares about) to RPC error codes in one
 * table. The domain never imports `rpc/`.
 */

/** Something the caller named does not exist (a contact, a conversation, a message, a group). */
export class NotFoundError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'NotFoundError'
  }
}

/** Well-formed input whose content cannot be used (a bad card, a rule of the group refuses it). */
export class InvalidInputError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidInputError'
  }
}

/** The thing to create exists already. */
export class AlreadyExistsError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'AlreadyExistsError'
  }
}

/** A contact's identity key changed and the user has not accepted the new key yet. */
export class KeyChangeUnacceptedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'KeyChangeUnacceptedError'
  }
}

/** A part of the node that the operation needs is not running (still starting, stopped). */
export class UnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'UnavailableError'
  }
}
