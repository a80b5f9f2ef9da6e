/**
 * The profile's call settings (one record at FIXED_KEYS.callSettings): "relay calls only", read
 * by the media owner with the ICE servers at each call (calls.iceServers).
 */

import { FIXED_KEYS } from '../storage/layout.ts'
import type { SealedStore } from '../storage/sealed-store.ts'
import { CALL_SETTINGS_RECORD, type CallSettingsRecord, DEFAULT_CALL_SETTINGS } from './records.ts'

export async function readCallSettings(store: SealedStore): Promise<CallSettingsRecord> {
  return (await store.read(FIXED_KEYS.callSettings, CALL_SETTINGS_RECORD)) ?? DEFAULT_CALL_SETTINGS
}

/** Apply the given changes and return the settings now in force. */
export async function updateCallSettings(
  store: SealedStore,
  changes: Partial<CallSettingsRecord>,
): Promise<CallSettingsRecord> {
  const next = { ...(await readCallSettings(store)), ...changes }
  await store.write(FIXED_KEYS.callSettings, CALL_SETTINGS_RECORD, next)
  return next
}
