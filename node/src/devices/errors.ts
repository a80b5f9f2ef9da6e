/** Errors of device linking (node/src/devices); rpc/error-map.ts maps each family to its code. */
import { InvalidInputError, NotFoundError, UnavailableError } from '../errors.ts'

/** The other device broke the link protocol, or could not be reached (UNAVAILABLE). */
export class LinkProtocolError extends UnavailableError {
  override name = 'LinkProtocolError'
}

/** The confirmation number typed does not match this side's: the link is aborted (INVALID_INPUT). */
export class LinkConfirmationMismatchError extends InvalidInputError {
  override name = 'LinkConfirmationMismatchError'
}

/** No link in progress waits for this step (NOT_FOUND). */
export class NoLinkInProgressError extends NotFoundError {
  override name = 'NoLinkInProgressError'
}

/** devices.revoke names a device that is not on this identity's list (NOT_FOUND). */
export class UnknownDeviceError extends NotFoundError {
  override name = 'UnknownDeviceError'
}

/** devices.revoke names this very device: revoke it from another device (INVALID_INPUT). */
export class RevokeRefusedError extends InvalidInputError {
  override name = 'RevokeRefusedError'
}
