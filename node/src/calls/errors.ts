/** The calls service's errors, each a subclass of a domain family (node/src/errors.ts). */
import { AlreadyExistsError, InvalidInputError, KeyChangeUnacceptedError, NotFoundError } from '../errors.ts'

/** No live call has this id (it ended, or never existed here). */
export class CallNotFoundError extends NotFoundError {
  constructor(callId: string) {
    super(`no live call ${callId}`)
    this.name = 'CallNotFoundError'
  }
}

/** A call is already live: one at a time (MAX_LIVE_CALLS). */
export class CallInProgressError extends AlreadyExistsError {
  constructor() {
    super('a call is already in progress: hang it up first')
    this.name = 'CallInProgressError'
  }
}

/** The call is not in a state where this operation makes sense (accepting an outgoing call…). */
export class CallStateError extends InvalidInputError {
  constructor(message: string) {
    super(message)
    this.name = 'CallStateError'
  }
}

/** The media owner's text is over the wire cap in UTF-8 bytes. */
export class MediaDataTooLargeError extends InvalidInputError {
  constructor(maxBytes: number) {
    super(`signal data over ${maxBytes} bytes (UTF-8)`)
    this.name = 'MediaDataTooLargeError'
  }
}

/** The contact's identity key changed: calls are refused, like messages, until it is accepted. */
export class CallKeyChangedError extends KeyChangeUnacceptedError {
  constructor(name: string) {
    super(`${name}'s identity key changed: accept it before calling`)
    this.name = 'CallKeyChangedError'
  }
}
