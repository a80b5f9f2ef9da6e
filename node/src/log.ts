/**
 * Structured logs on stderr, one line per entry. Two formats of the same entries:
 *   json  `{ time, level, scope, msg, ...fields }`, for files, pipes and log collectors;
 *   text  `12:00:01 error node:daemon: the daemon could not start: <message> (error=…)`, for a person
 *         at a terminal.
 * `auto` (the default) writes text to a terminal and JSON anywhere else.
 * Scopes name the component (`node:daemon`, `node:rpc`). Never pass secrets, passphrases,
 * message text or other plaintext as fields — log ids, counts and error names.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
  /** A logger for a sub-component: `node:daemon` → `node:daemon:rpc`-style scopes chosen by the caller. */
  child(scope: string): Logger
}

export type LogFormat = 'json' | 'text'
/** What `--log-format` accepts: a format, or `auto` (text on a terminal, JSON otherwise). */
export const LOG_FORMAT_CHOICES = ['auto', 'text', 'json'] as const
export type LogFormatChoice = (typeof LOG_FORMAT_CHOICES)[number]

export function resolveLogFormat(choice: LogFormatChoice, isTerminal: boolean): LogFormat {
  if (choice === 'auto') return isTerminal ? 'text' : 'json'
  return choice
}

export interface LoggerOptions {
  readonly level?: LogLevel
  readonly sink?: (line: string) => void
  /** Default json. */
  readonly format?: LogFormat
}

function textField(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return text === undefined ? String(value) : text
}

/** One entry as a line for a person: time, level, scope, the sentence, then the fields. */
export function formatTextLine(
  time: Date,
  level: LogLevel,
  scope: string,
  msg: string,
  fields: Record<string, unknown> = {},
): string {
  const extra = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${textField(v)}`)
  const clock = time.toTimeString().slice(0, 8)
  return `${clock} ${level.padEnd(5)} ${scope}: ${msg}${extra.length > 0 ? ` (${extra.join(', ')})` : ''}`
}

export function createLogger(scope: string, options: LoggerOptions = {}): Logger {
  const threshold =
    LEVEL_ORDER[options.level ?? (process.env.WREN_LOG_LEVEL as LogLevel | undefined) ?? 'info'] ?? 20
  const sink = options.sink ?? ((line: string) => process.stderr.write(`${line}\n`))
  const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (LEVEL_ORDER[level] < threshold) return
    const time = new Date()
    sink(
      options.format === 'text'
        ? formatTextLine(time, level, scope, msg, fields)
        : JSON.stringify({ time: time.toISOString(), level, scope, msg, ...fields }),
    )
  }
  return {
    debug: (msg, fields) => write('debug', msg, fields),
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
    child: (child) => createLogger(child, options),
  }
}

/** A logger that drops everything (library use, tests that do not inspect logs). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
}
