/**
 * Named errors of 1:1 messaging. Each extends one family of node/src/errors.ts, which rpc/ maps
 * to an RPC error code: the domain says what went wrong, the RPC layer how a client sees it.
 */
import { InvalidInputError, KeyChangeUnacceptedError, NotFoundError } from '../errors.ts'

/** No contact with this user id. */
export class ContactNotFoundError extends NotFoundError {
  constructor(userId: string) {
    super(`no contact ${userId}`)
    this.name = 'ContactNotFoundError'
  }
}

/** No conversation with this id (or the id names no direct conversation). */
export class ConversationNotFoundError extends NotFoundError {
  constructor(conversationId: string) {
    super(`no conversation ${conversationId}`)
    this.name = 'ConversationNotFoundError'
  }
}

/** The card handed to contacts.add is the user's own. */
export class OwnCardError extends InvalidInputError {
  constructor() {
    super('this is your own card')
    this.name = 'OwnCardError'
  }
}

/** An app payload (groups and other layers over the pairwise sessions) is over its limit. */
export class AppPayloadTooLargeError extends InvalidInputError {
  constructor() {
    super('app payload is too large')
    this.name = 'AppPayloadTooLargeError'
  }
}

/** The contact's identity key changed and the user has not accepted it: `action` is refused. */
export class ContactKeyChangedError extends KeyChangeUnacceptedError {
  constructor(message: string) {
    super(message)
    this.name = 'ContactKeyChangedError'
  }
}
