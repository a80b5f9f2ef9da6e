/**
 * The Devices section of Settings (issue 18), as pure logic: the rows of this identity's device
 * list (devices.list) and the steps of linking a new device from this one (devices.link, then
 * devices.confirm with the number the new device shows).
 */
import type { Device, DeviceList } from '../../../node/src/rpc/api.ts'

/** Hex digits of a device id shown in a row (`wren devices` shows the same prefix). */
export const DEVICE_ID_SHOWN_CHARS = 16
/** The prefix every link code starts with (core/src/link-code.ts). */
export const LINK_CODE_PREFIX = 'wren-link:'

export interface DeviceRow {
  readonly deviceId: string
  /** "This device", or the short id. */
  readonly label: string
  readonly shortId: string
  readonly createdAt: number
  readonly current: boolean
  /** Only another device may be revoked, and only from here. */
  readonly revocable: boolean
}

/** The rows to show: this device first, then the others, oldest first. */
export function deviceRows(list: DeviceList): DeviceRow[] {
  const row = (d: Device): DeviceRow => {
    const shortId = `${d.deviceId.slice(0, DEVICE_ID_SHOWN_CHARS)}…`
    return {
      deviceId: d.deviceId,
      label: d.current ? 'This device' : `Device ${shortId}`,
      shortId,
      createdAt: d.createdAt,
      current: d.current,
      revocable: !d.current,
    }
  }
  return [...list.devices]
    .sort((a, b) => Number(b.current) - Number(a.current) || a.createdAt - b.createdAt)
    .map(row)
}

/** Whether `text` looks like a link code (the daemon checks it fully). */
export function looksLikeLinkCode(text: string): boolean {
  return text.trim().startsWith(LINK_CODE_PREFIX)
}

/** The 6 digits of a typed confirmation number (spaces and dashes dropped), or null. */
export function confirmationDigits(text: string): string | null {
  const digits = text.replace(/[\s-]/g, '')
  return /^\d{6}$/.test(digits) ? digits : null
}

/** Where a link from this device is. */
export type LinkStep =
  | { readonly kind: 'idle' }
  | { readonly kind: 'dialing' }
  | { readonly kind: 'compare'; readonly confirmation: string }
  | { readonly kind: 'sending'; readonly confirmation: string }
  | { readonly kind: 'linked'; readonly deviceId: string | null }
  | { readonly kind: 'failed'; readonly error: string }

export type LinkEvent =
  | { readonly kind: 'dial' }
  | { readonly kind: 'dialed'; readonly confirmation: string }
  | { readonly kind: 'confirm' }
  | { readonly kind: 'confirmed'; readonly deviceId: string | null }
  | { readonly kind: 'error'; readonly error: string }
  | { readonly kind: 'reset' }

/** The next step; an event that does not fit the current step leaves it as it is. */
export function nextLinkStep(step: LinkStep, event: LinkEvent): LinkStep {
  switch (event.kind) {
    case 'reset':
      return { kind: 'idle' }
    case 'error':
      return step.kind === 'dialing' || step.kind === 'sending'
        ? { kind: 'failed', error: event.error }
        : step
    case 'dial':
      return step.kind === 'idle' || step.kind === 'failed' || step.kind === 'linked'
        ? { kind: 'dialing' }
        : step
    case 'dialed':
      return step.kind === 'dialing' ? { kind: 'compare', confirmation: event.confirmation } : step
    case 'confirm':
      return step.kind === 'compare' ? { kind: 'sending', confirmation: step.confirmation } : step
    case 'confirmed':
      return step.kind === 'sending' ? { kind: 'linked', deviceId: event.deviceId } : step
  }
}
