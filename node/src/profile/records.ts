/**
 * The profile's own records in its database (keys in storage/layout.ts): the identity record
 * (display name, creation time) and the network settings saved by settings.set. Versioned zod
 * schemas, checked on read (storage/stored-record.ts); values from before versioning read as v1.
 */
import { z } from 'zod'
import { FIXED_KEYS } from '../storage/layout.ts'
import type { SealedStore } from '../storage/sealed-store.ts'
import { versionedRecord } from '../storage/stored-record.ts'

export const IDENTITY_RECORD_KEY = FIXED_KEYS.identity
export const NETWORK_SETTINGS_KEY = FIXED_KEYS.networkSettings

const IdentityRecordSchema = z.object({ displayName: z.string(), createdAt: z.number() })
export type IdentityRecord = z.output<typeof IdentityRecordSchema>
export const IDENTITY_RECORD = versionedRecord('identity', IdentityRecordSchema)

const NetworkSettingsRecordSchema = z.object({ bootstrap: z.array(z.string()), relays: z.array(z.string()) })
export type NetworkSettingsRecord = z.output<typeof NetworkSettingsRecordSchema>
export const NETWORK_SETTINGS_RECORD = versionedRecord('network settings', NetworkSettingsRecordSchema)

export function readIdentityRecord(store: SealedStore): Promise<IdentityRecord | undefined> {
  return store.read(IDENTITY_RECORD_KEY, IDENTITY_RECORD)
}

export function writeIdentityRecord(store: SealedStore, record: IdentityRecord): Promise<void> {
  return store.write(IDENTITY_RECORD_KEY, IDENTITY_RECORD, record)
}
