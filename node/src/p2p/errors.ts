/**
 * Named errors of the libp2p layer. These are faults (bad input, invalid own record); expected
 * per-peer network outcomes (timeout, unreachable, refused) are returned as values instead.
 */

export class WrenP2pError extends Error {
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'WrenP2pError'
    this.code = code
  }
}

/** A DHT record failed its namespace validator (bad key, over the size cap, bad signature...). */
export class InvalidRecordError extends WrenP2pError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_RECORD', message, options)
    this.name = 'InvalidRecordError'
  }
}

/** A put carried a record older than the one already stored (core: user nodes and relays share the guard). */
export { StaleRecordError } from '../../../core/src/errors.ts'

/** A request or response frame is larger than the agreed cap. */
export class FrameTooLargeError extends WrenP2pError {
  constructor(message: string) {
    super('ERR_FRAME_TOO_LARGE', message)
    this.name = 'FrameTooLargeError'
  }
}

/** The host was asked for an impossible setup (e.g. a transports override with no listen list). */
export class HostConfigError extends WrenP2pError {
  constructor(message: string) {
    super('ERR_HOST_CONFIG', message)
    this.name = 'HostConfigError'
  }
}

/** A peer's request was refused unread: it is over its limit on the protocol, or refused for now. */
export class PeerLimitError extends WrenP2pError {
  constructor(protocol: string) {
    super('ERR_PEER_LIMIT', `over the per-peer limit on ${protocol}`)
    this.name = 'PeerLimitError'
  }
}
