/**
 * Record types of the profile database: each stored value is checked against its zod schema when
 * it is read back (SealedStore.read / scan), instead of being cast to what the caller hopes it is.
 *
 * An object record carries its schema version in the value itself, as `v` (written by `encode`).
 * Values written before records were versioned have no `v`: they read as version 1, which is
 * what they are (version 1 is the shape they were written in). A value with a version this build
 * does not know is refused (StoredRecordError), never guessed at. When a record's shape changes,
 * its version goes up and `decode` migrates the older versions it still reads.
 *
 * Plain records (a counter, a list of ids) are a single JSON value with no room for a version
 * field: they are checked by schema only, and a change of their shape means a new key.
 *
 * The stored shapes are the domain's, separate from the RPC API's (rpc/ maps them at its edge).
 */
import { z } from 'zod'
import { StoredRecordError } from './errors.ts'

/** The field of an object record that holds its schema version. */
export const RECORD_VERSION_FIELD = 'v'
/** The version of values written before records carried one. */
export const UNVERSIONED_RECORD_VERSION = 1

/** Byte arrays in a record (json-codec.ts stores them as base64 and reads them back as Uint8Array). */
export const recordBytes = z.custom<Uint8Array>((value) => value instanceof Uint8Array, 'expected bytes')

export interface RecordType<T> {
  /** For error messages: which record this is (never the value). */
  readonly name: string
  /** The version `encode` writes (undefined for plain records). */
  readonly version: number | undefined
  /** The stored value as written by `encode` (or by an older build): checked, versions migrated. */
  decode(key: string, value: unknown): T
  /** What to store for `value`. */
  encode(value: T): unknown
}

/**
 * An object record at schema version 1. `schema` describes the fields without `v`; unknown
 * fields are dropped on read (zod's default for objects).
 */
export function versionedRecord<S extends z.ZodObject>(name: string, schema: S): RecordType<z.output<S>> {
  const version = 1
  return {
    name,
    version,
    decode(key, value) {
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        throw new StoredRecordError(key, `${name} is not an object`)
      const { [RECORD_VERSION_FIELD]: stored, ...fields } = value as Record<string, unknown>
      const at = stored ?? UNVERSIONED_RECORD_VERSION
      if (at !== version) throw new StoredRecordError(key, `${name} has unknown schema version ${String(at)}`)
      const parsed = schema.safeParse(fields)
      if (!parsed.success)
        throw new StoredRecordError(key, `${name} does not match its schema`, describe(parsed.error))
      return parsed.data
    },
    encode(value) {
      return { ...(value as object), [RECORD_VERSION_FIELD]: version }
    },
  }
}

/** A record that is one plain JSON value (number, array): checked by schema, not versioned. */
export function plainRecord<S extends z.ZodType>(name: string, schema: S): RecordType<z.output<S>> {
  return {
    name,
    version: undefined,
    decode(key, value) {
      const parsed = schema.safeParse(value)
      if (!parsed.success)
        throw new StoredRecordError(key, `${name} does not match its schema`, describe(parsed.error))
      return parsed.data
    },
    encode(value) {
      return value
    },
  }
}

/** The issue paths only (zod's messages may quote the offending value, which may be secret). */
function describe(error: z.ZodError): { cause: string } {
  return { cause: error.issues.map((i) => `${i.path.join('.') || '(value)'}: ${i.code}`).join('; ') }
}
