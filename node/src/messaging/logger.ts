/**
 * The log the messaging layer writes to: structured, scoped by whoever hands it in (the daemon's
 * logger fits; tests pass a silent one). Never given secrets or message text.
 */
export type LogFields = Record<string, unknown>

export interface MessagingLogger {
  debug(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
}
