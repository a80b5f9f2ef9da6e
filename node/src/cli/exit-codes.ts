/**
 * Exit codes of the `wren` CLI, one table shared by the code, `wren --help` and the docs, so
 * scripts can tell "start the daemon" from "unlock first" from "no such contact".
 */

export const EXIT = {
  /** The command did what it was asked. */
  OK: 0,
  /** Anything not covered below (including a cancelled prompt). */
  ERROR: 1,
  /** Bad command line: unknown command or option, missing or malformed argument. */
  USAGE: 2,
  /** No daemon runs for the profile, or it could not be reached or did not answer in time. */
  DAEMON_UNREACHABLE: 3,
  /** The daemon answered with a JSON-RPC error (its code and message are printed). */
  RPC_ERROR: 4,
  /** The contact does not exist, or the name matches more than one contact. */
  NOT_FOUND: 5,
  /** The profile is locked (run `npx wren unlock`) or has no identity yet (run `npx wren init`). */
  LOCKED: 6,
  /** `wren room` ended without a goodbye: wrong code, room full, code expired, or a protocol fault. */
  ROOM_FAILED: 7,
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/** One line per code, in order, for the help epilogue. */
export const EXIT_CODE_DESCRIPTIONS: ReadonlyArray<readonly [ExitCode, string]> = [
  [EXIT.OK, 'ok'],
  [EXIT.ERROR, 'error'],
  [EXIT.USAGE, 'usage error (bad command, option or argument)'],
  [EXIT.DAEMON_UNREACHABLE, 'daemon not running or unreachable (start it with `npx wren daemon`)'],
  [EXIT.RPC_ERROR, 'the daemon returned an error (code and message printed)'],
  [EXIT.NOT_FOUND, 'contact not found, or the name is ambiguous'],
  [EXIT.LOCKED, 'profile locked (`npx wren unlock`) or without identity (`npx wren init`)'],
  [EXIT.ROOM_FAILED, 'room ended: wrong code, room full, code expired, or the session was destroyed'],
]

export function exitCodeHelp(): string {
  return ['Exit codes:', ...EXIT_CODE_DESCRIPTIONS.map(([code, text]) => `  ${code}  ${text}`)].join('\n')
}
