/** Errors the CLI raises itself; each carries the exit code it ends the process with. */
import { EXIT, type ExitCode } from './exit-codes.ts'

export class CliError extends Error {
  readonly exitCode: ExitCode
  /** A line telling the user what to do next, printed after the message. */
  readonly hint: string | undefined
  constructor(exitCode: ExitCode, message: string, hint?: string) {
    super(message)
    this.name = 'CliError'
    this.exitCode = exitCode
    this.hint = hint
  }
}

/** The command line itself is wrong (exit 2). */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(EXIT.USAGE, message, hint)
    this.name = 'UsageError'
  }
}

/** No contact matches, or several do (exit 5). */
export class ContactNotFoundError extends CliError {
  constructor(message: string, hint?: string) {
    super(EXIT.NOT_FOUND, message, hint)
    this.name = 'ContactNotFoundError'
  }
}

/** No device of this identity matches the id given, or several do (exit 5). */
export class DeviceNotFoundError extends CliError {
  constructor(message: string, hint?: string) {
    super(EXIT.NOT_FOUND, message, hint)
    this.name = 'DeviceNotFoundError'
  }
}
