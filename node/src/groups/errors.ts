/**
 * The group layer's errors, each in one of the node's families (node/src/errors.ts), which rpc/
 * maps to RPC error codes. Messages name ids only, never message text.
 */
import { InvalidInputError, NotFoundError } from '../errors.ts'

/** We hold no group with that id. */
export class GroupNotFoundError extends NotFoundError {
  constructor(groupId: string) {
    super(`no group ${groupId}`)
    this.name = 'GroupNotFoundError'
  }
}

/** A group conversation id that is malformed or names no group of ours. */
export class GroupConversationNotFoundError extends NotFoundError {
  constructor(conversationId: string) {
    super(`no conversation ${conversationId}`)
    this.name = 'GroupConversationNotFoundError'
  }
}

/** Someone to invite (or create a group with) who is not a contact yet. */
export class GroupContactNotFoundError extends NotFoundError {
  constructor(userId: string) {
    super(`no contact ${userId}: add their card first`)
    this.name = 'GroupContactNotFoundError'
  }
}

/** receipts of a message that is not one of ours in that group conversation. */
export class GroupMessageNotFoundError extends NotFoundError {
  constructor(messageId: string, conversationId: string) {
    super(`no group message ${messageId} of ours in ${conversationId}`)
    this.name = 'GroupMessageNotFoundError'
  }
}

/** Our standing in the group does not allow the command (e.g. accept while already a member). */
export class GroupStandingError extends InvalidInputError {
  constructor(message: string) {
    super(message)
    this.name = 'GroupStandingError'
  }
}

/** The group's rules refuse our op (not an admin, not a member, a name too long, …). */
export class GroupOpRefusedError extends InvalidInputError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'GroupOpRefusedError'
  }
}

/** A group message text over MAX_GROUP_TEXT_BYTES. */
export class GroupTextTooLongError extends InvalidInputError {
  constructor(maxBytes: number) {
    super(`group messages are at most ${maxBytes} bytes`)
    this.name = 'GroupTextTooLongError'
  }
}

/** A mention of someone who is not a member of the group, or too many mentions. */
export class GroupMentionError extends InvalidInputError {
  constructor(message: string) {
    super(message)
    this.name = 'GroupMentionError'
  }
}
