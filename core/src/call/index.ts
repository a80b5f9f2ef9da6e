/** Calls: ids, signalling wire format, and the per-call media key schedule (issue 15). */
export * from './call-id.ts'
export * from './constants.ts'
export * from './media-keys.ts'
export * from './signal.ts'
export * from './stream-frame.ts'
