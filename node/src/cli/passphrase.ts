/**
 * Where the CLI gets a passphrase, in this order: --passphrase-file (a path, or '-' for stdin),
 * the WREN_PASSPHRASE environment variable, an interactive prompt that does not echo. Never from
 * argv (other users can read it in the process list) and never printed.
 */
import { open } from 'node:fs/promises'
import { MAX_PASSPHRASE_CHARS, MIN_PASSPHRASE_CHARS } from '../rpc/api.ts'
import { CliError, UsageError } from './errors.ts'
import { EXIT } from './exit-codes.ts'

export const PASSPHRASE_ENV = 'WREN_PASSPHRASE'
/** Largest passphrase file read, in bytes: the longest passphrase in 4-byte UTF-8 plus a newline. */
export const MAX_PASSPHRASE_FILE_BYTES = MAX_PASSPHRASE_CHARS * 4 + 2

export interface PassphraseSource {
  /** --passphrase-file value: a path, or '-' for standard input. */
  readonly file?: string
  readonly env?: NodeJS.ProcessEnv
  /** Ask twice when prompting (a new passphrase). */
  readonly confirm?: boolean
  /** Enforce the minimum length the daemon requires for a new passphrase. */
  readonly isNew?: boolean
}

export async function readPassphrase(source: PassphraseSource): Promise<string> {
  const env = source.env ?? process.env
  let passphrase: string
  if (source.file !== undefined) passphrase = stripFinalNewline(await readLimited(source.file))
  else if (env[PASSPHRASE_ENV] !== undefined && env[PASSPHRASE_ENV] !== '') passphrase = env[PASSPHRASE_ENV]
  else if (process.stdin.isTTY && process.stderr.isTTY) {
    passphrase = await promptHidden(source.isNew ? 'New passphrase: ' : 'Passphrase: ')
    if (source.confirm) {
      const again = await promptHidden('Repeat passphrase: ')
      if (again !== passphrase) throw new UsageError('the passphrases do not match')
    }
  } else
    throw new UsageError(
      'no passphrase given and no terminal to ask for one',
      `use --passphrase-file <path> (or '-' for stdin), or set ${PASSPHRASE_ENV}`,
    )
  if (passphrase.length === 0) throw new UsageError('the passphrase is empty')
  if (passphrase.length > MAX_PASSPHRASE_CHARS)
    throw new UsageError(`the passphrase is longer than ${MAX_PASSPHRASE_CHARS} characters`)
  if (source.isNew && passphrase.length < MIN_PASSPHRASE_CHARS)
    throw new UsageError(`the passphrase must have at least ${MIN_PASSPHRASE_CHARS} characters`)
  return passphrase
}

/** One trailing line break (as `echo` or an editor writes it) is not part of the passphrase. */
function stripFinalNewline(text: string): string {
  return text.replace(/\r?\n$/, '')
}

async function readLimited(file: string): Promise<string> {
  if (file === '-') return readStdinLimited()
  let handle: Awaited<ReturnType<typeof open>>
  try {
    handle = await open(file, 'r')
  } catch (error) {
    throw new UsageError(
      `cannot read the passphrase file: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    )
  }
  try {
    const buffer = Buffer.alloc(MAX_PASSPHRASE_FILE_BYTES + 1)
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0)
    if (bytesRead > MAX_PASSPHRASE_FILE_BYTES) throw new UsageError('the passphrase file is too large')
    return buffer.subarray(0, bytesRead).toString('utf8')
  } finally {
    await handle.close()
  }
}

async function readStdinLimited(): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of process.stdin) {
    const bytes = chunk as Buffer
    size += bytes.length
    if (size > MAX_PASSPHRASE_FILE_BYTES) throw new UsageError('the passphrase on stdin is too large')
    chunks.push(bytes)
  }
  return Buffer.concat(chunks).toString('utf8')
}

const CTRL_C = '\u0003'
const CTRL_D = '\u0004'
const BACKSPACE = new Set(['\u007f', '\b'])

/** Read one line from the terminal in raw mode, echoing nothing; prompt on stderr. */
function promptHidden(prompt: string): Promise<string> {
  const input = process.stdin
  const output = process.stderr
  output.write(prompt)
  input.setRawMode(true)
  input.setEncoding('utf8')
  input.resume()
  return new Promise((resolve, reject) => {
    let chars: string[] = []
    const finish = () => {
      input.off('data', onData)
      input.setRawMode(false)
      input.pause()
      output.write('\n')
    }
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          finish()
          resolve(chars.join(''))
          return
        }
        if (ch === CTRL_C || (ch === CTRL_D && chars.length === 0)) {
          finish()
          reject(new CliError(EXIT.ERROR, 'cancelled'))
          return
        }
        if (BACKSPACE.has(ch)) chars = chars.slice(0, -1)
        else if (ch >= ' ' && chars.length <= MAX_PASSPHRASE_CHARS) chars.push(ch)
      }
    }
    input.on('data', onData)
  })
}
