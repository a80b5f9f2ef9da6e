/** Conversation actions on one message (issue 17): wire format, kinds, windows, reactions. */
export * from './action.ts'
export * from './constants.ts'
export * from './mentions.ts'
export * from './quote.ts'
export * from './reaction.ts'
