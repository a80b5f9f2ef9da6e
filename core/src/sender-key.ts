/** Sender Keys (group messaging). The implementation lives in ./sender-key/. */
export * from './sender-key/index.ts'
