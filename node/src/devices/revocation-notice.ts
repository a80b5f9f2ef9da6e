/**
 * Telling a revoked device (issue 18): the primary dials it and sends the signed list that
 * revokes it over `/wren/device-revoked/1.0.0` (one request, answer empty). The device checks the
 * list as any list of its own identity (signature, user binding, caps: core/src/device-list-record
 * .ts), that it is newer than its own and that it revokes this device's key; then it locks itself.
 * A notice from anyone else cannot forge that: the list is signed by the identity key.
 */

import type { Libp2p } from '@libp2p/interface'
import { bytesEqual } from '../../../core/src/bytes.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import type { DeviceList } from '../../../core/src/device-list.ts'
import { MAX_DEVICE_LIST_BYTES } from '../../../core/src/device-list.ts'
import { checkDeviceListRecord } from '../../../core/src/device-list-record.ts'
import { peerIdFromBytes } from '../messaging/peer-ids.ts'
import { dialDevice } from '../p2p/reachability.ts'
import { handleRequests, type RequestResult, sendRequest } from '../p2p/request-response.ts'

export const REVOCATION_NOTICE_PROTOCOL = '/wren/device-revoked/1.0.0'
/** Bound on telling the revoked device (dial and exchange): it may be offline; contacts act anyway. */
export const REVOCATION_NOTICE_TIMEOUT_MS = 10_000
/** Notices a peer may send: a primary needs one; a few more cover retries. */
const REVOCATION_NOTICE_PEER_LIMIT = { burst: 4, ratePerSecond: 1 } as const

/** Send `bytes` (the list revoking it) to the device; a failure is a value (it may be offline). */
export async function tellRevoked(
  libp2p: Libp2p,
  devicePeerId: Uint8Array,
  bytes: Uint8Array,
): Promise<RequestResult | { ok: false; reason: string }> {
  const peer = peerIdFromBytes(devicePeerId)
  const dial = await dialDevice(libp2p, peer, [], { timeoutMs: REVOCATION_NOTICE_TIMEOUT_MS })
  if (!dial.ok) return { ok: false, reason: dial.reason }
  return sendRequest(libp2p, peer, REVOCATION_NOTICE_PROTOCOL, bytes, {
    timeoutMs: REVOCATION_NOTICE_TIMEOUT_MS,
    runOnLimitedConnection: true,
  })
}

/** Whether `bytes` is a list of `userId` newer than `own` that revokes `deviceKey` (pure). */
export function revokesDevice(
  suite: CryptoSuite,
  userId: Uint8Array,
  own: DeviceList,
  deviceKey: Uint8Array,
  bytes: Uint8Array,
): boolean {
  let list: DeviceList
  try {
    list = checkDeviceListRecord(suite, userId, bytes)
  } catch {
    return false
  }
  return (
    bytesEqual(list.identityKey, own.identityKey) &&
    list.listVersion > own.listVersion &&
    list.revocations.some((r) => bytesEqual(r.deviceKey, deviceKey))
  )
}

/** Serve notices: `onRevoked` runs (after the answer) when one revokes this device. */
export async function serveRevocationNotices(
  libp2p: Libp2p,
  check: (bytes: Uint8Array) => boolean,
  onRevoked: () => void,
): Promise<void> {
  await handleRequests(
    libp2p,
    REVOCATION_NOTICE_PROTOCOL,
    async (request, ctx) => {
      if (check(request)) setImmediate(onRevoked)
      else ctx.malformed()
      return new Uint8Array(0)
    },
    {
      maxRequestBytes: MAX_DEVICE_LIST_BYTES,
      runOnLimitedConnection: true,
      limit: REVOCATION_NOTICE_PEER_LIMIT,
    },
  )
}
