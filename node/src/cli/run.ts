/**
 * Run the CLI once: parse, dispatch, and turn any failure into a message on stderr and an exit
 * code from exit-codes.ts. Nothing secret reaches the output: passphrases never leave passphrase.ts.
 */
import { CommanderError } from 'commander'
import { DaemonNotRunningError, ProfileError } from '../profile/errors.ts'
import { RpcConnectionError, RpcError } from '../rpc/errors.ts'
import { wrenCommand } from './command-name.ts'
import { CliError } from './errors.ts'
import { EXIT, type ExitCode } from './exit-codes.ts'
import { safeText } from './format.ts'
import { createProgram, globalOptions } from './program.ts'

/** Commander outcomes that are not failures. */
const COMMANDER_SUCCESS = new Set(['commander.helpDisplayed', 'commander.version'])

export interface Failure {
  readonly exitCode: ExitCode
  readonly message: string
  readonly hint?: string
  /** The daemon's error, when there was one. */
  readonly rpc?: { readonly code: number; readonly name?: string; readonly message: string }
}

export async function runCli(argv: readonly string[]): Promise<ExitCode> {
  const program = createProgram()
  try {
    await program.parseAsync([...argv])
    return EXIT.OK
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its message (and the help hint) to stderr.
      return COMMANDER_SUCCESS.has(error.code) || error.exitCode === 0 ? EXIT.OK : EXIT.USAGE
    }
    const g = globalOptions(program)
    const failure = describeFailure(error, g.profile)
    if (g.json) {
      const error = { exit: failure.exitCode, message: failure.message, ...failure.rpc }
      process.stderr.write(`${JSON.stringify({ error })}\n`)
    } else {
      process.stderr.write(`wren: ${failure.message}\n`)
      if (failure.hint) process.stderr.write(`hint: ${failure.hint}\n`)
    }
    return failure.exitCode
  }
}

/** What an error means for the user: exit code, one-line message, what to do next. */
export function describeFailure(error: unknown, profile: string): Failure {
  if (error instanceof CliError) return { exitCode: error.exitCode, message: error.message, hint: error.hint }
  if (error instanceof DaemonNotRunningError)
    return {
      exitCode: EXIT.DAEMON_UNREACHABLE,
      message: error.message,
      hint: `start it with: ${wrenCommand('daemon', profile)}`,
    }
  if (error instanceof RpcConnectionError) {
    const what =
      error.code === 'ERR_UNAUTHORIZED'
        ? 'the daemon refused our RPC token (is another WREN_HOME in use?)'
        : error.code === 'ERR_TIMEOUT'
          ? `the daemon did not answer in time: ${error.message}`
          : `cannot reach the daemon of profile ${profile}: ${error.message}`
    return {
      exitCode: EXIT.DAEMON_UNREACHABLE,
      message: what,
      hint: `is it running? ${wrenCommand('daemon', profile)}`,
    }
  }
  if (error instanceof RpcError) {
    const name = error.errorName
    const rpc = { code: error.code, ...(name ? { name } : {}), message: error.message }
    const message = `daemon error ${name ?? ''}${name ? ' ' : ''}(${error.code}): ${safeText(error.message)}`
    if (name === 'LOCKED')
      return {
        exitCode: EXIT.LOCKED,
        message,
        rpc,
        hint: `unlock it with: ${wrenCommand('unlock', profile)}`,
      }
    if (name === 'NO_IDENTITY')
      return {
        exitCode: EXIT.LOCKED,
        message,
        rpc,
        hint: `create one with: ${wrenCommand('init --name <your name>', profile)}`,
      }
    if (name === 'NOT_FOUND') return { exitCode: EXIT.NOT_FOUND, message, rpc }
    if (name === 'KEY_CHANGED_UNACCEPTED')
      return {
        exitCode: EXIT.RPC_ERROR,
        message,
        rpc,
        hint: `compare safety numbers again (${wrenCommand('safety-number <contact>', profile)}), then: ${wrenCommand('accept-key <contact>', profile)}`,
      }
    return { exitCode: EXIT.RPC_ERROR, message, rpc }
  }
  if (error instanceof ProfileError)
    return { exitCode: error.code === 'ERR_PROFILE_NAME' ? EXIT.USAGE : EXIT.ERROR, message: error.message }
  const e = error instanceof Error ? error : new Error(String(error))
  return { exitCode: EXIT.ERROR, message: `${e.name}: ${safeText(e.message)}` }
}

/**
 * A reader that stopped reading (`wren status | head -1`) is not a failure: the rest of the
 * output has nowhere to go, so stop at once, quietly, with the code of success.
 */
export function exitQuietlyOnBrokenPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT.OK)
    throw error
  })
}

/** Entry point for bin/: run, flush, exit with the code. */
export async function main(argv: readonly string[] = process.argv): Promise<never> {
  exitQuietlyOnBrokenPipe(process.stdout)
  exitQuietlyOnBrokenPipe(process.stderr)
  const code = await runCli(argv)
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()))
  await new Promise<void>((resolve) => process.stderr.write('', () => resolve()))
  process.exit(code)
}
