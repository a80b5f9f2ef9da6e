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

/** No message with this id in a direct conversation (never sent or received here, or deleted for me). */
export class MessageNotFoundError extends NotFoundError {
  constructor(messageId: string) {
    super(`no message ${messageId}`)
    this.name = 'MessageNotFoundError'
  }
}

/** An action on a message was refused (core/src/conversation rules): `reason` says which rule. */
export class MessageActionRefusedError extends InvalidInputError {
  readonly reason: string
  constructor(reason: string, message: string) {
    super(message)
    this.name = 'MessageActionRefusedError'
    this.reason = reason
  }
}

/** Editing or deleting for everyone a message someone else wrote. */
export class NotMessageAuthorError extends MessageActionRefusedError {
  constructor() {
    super('not-author', 'only the author of a message may edit it or delete it for everyone')
    this.name = 'NotMessageAuthorError'
  }
}

/** The author's window for editing or deleting for everyone has passed. */
export class ActionWindowClosedError extends MessageActionRefusedError {
  constructor(what: string, windowMs: number) {
    super('window-closed', `a message can be ${what} only within ${windowMs / 3_600_000} h of sending`)
    this.name = 'ActionWindowClosedError'
  }
}

/** The message was deleted for everyone: nothing more can be done to it. */
export class MessageDeletedError extends MessageActionRefusedError {
  constructor() {
    super('deleted', 'the message was deleted')
    this.name = 'MessageDeletedError'
  }
}

/** A reaction that is not exactly one emoji of at most MAX_REACTION_BYTES. */
export class InvalidReactionError extends InvalidInputError {
  constructor(maxBytes: number) {
    super(`a reaction is one emoji of at most ${maxBytes} bytes`)
    this.name = 'InvalidReactionError'
  }
}

/** A message that cannot be forwarded (deleted, or carrying a file: files are not forwarded yet). */
export class NotForwardableError extends InvalidInputError {
  constructor(why: string) {
    super(`this message cannot be forwarded: ${why}`)
    this.name = 'NotForwardableError'
  }
}
