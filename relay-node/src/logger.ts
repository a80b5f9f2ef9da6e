/**
 * Structured JSON logs, one object per line: { ts, level, component, event, ...fields }.
 * Callers pass only non-secret fields (ids in hex are fine; keys, envelopes and nonces never).
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

export interface RelayLogger {
  debug(event: string, fields?: Record<string, unknown>): void
  info(event: string, fields?: Record<string, unknown>): void
  warn(event: string, fields?: Record<string, unknown>): void
  error(event: string, fields?: Record<string, unknown>): void
  child(component: string): RelayLogger
}

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

/** Where log lines go (a line without trailing newline). */
export type LogSink = (line: string) => void

function fieldValue(value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message }
  if (typeof value === 'bigint') return value.toString()
  return value
}

export function createLogger(options: { component: string; level?: LogLevel; sink: LogSink }): RelayLogger {
  const threshold = LEVEL_ORDER[options.level ?? 'info']
  const write = (level: LogLevel, event: string, fields?: Record<string, unknown>) => {
    if (LEVEL_ORDER[level] < threshold) return
    const entry: Record<string, unknown> = {
      ts: new Date().toISOString(),
      level,
      component: options.component,
      event,
    }
    for (const [key, value] of Object.entries(fields ?? {})) entry[key] = fieldValue(value)
    options.sink(JSON.stringify(entry))
  }
  return {
    debug: (event, fields) => write('debug', event, fields),
    info: (event, fields) => write('info', event, fields),
    warn: (event, fields) => write('warn', event, fields),
    error: (event, fields) => write('error', event, fields),
    child: (component) =>
      createLogger({
        component: `${options.component}:${component}`,
        level: options.level,
        sink: options.sink,
      }),
  }
}

/** A logger that drops everything (tests, embedding). */
export const silentLogger: RelayLogger = createLogger({ component: 'silent', level: 'error', sink: () => {} })
