/**
 * Structured logs: one JSON object per line on stderr, `{ time, level, scope, msg, ...fields }`.
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

export interface LoggerOptions {
  readonly level?: LogLevel
  readonly sink?: (line: string) => void
}

export function createLogger(scope: string, options: LoggerOptions = {}): Logger {
  const threshold =
    LEVEL_ORDER[options.level ?? (process.env.WREN_LOG_LEVEL as LogLevel | undefined) ?? 'info'] ?? 20
  const sink = options.sink ?? ((line: string) => process.stderr.write(`${line}\n`))
  const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (LEVEL_ORDER[level] < threshold) return
    sink(JSON.stringify({ time: new Date().toISOString(), level, scope, msg, ...fields }))
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
