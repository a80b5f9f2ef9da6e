/**
 * Canonical, domain-separated byte strings to sign. Identity-key signatures are made over
 *   u32be(len(label)) ‖ label ‖ field₁ ‖ field₂ ‖ …
 * where each field is self-delimiting (bytes: u32be length ‖ bytes; integers: fixed-width
 * big-endian; booleans: one byte; lists: u32be count ‖ items). We never sign protobuf bytes:
 * protobuf allows several encodings of one value (field order, default omission, unknown
 * fields), so signing them would tie validity to one encoder. Decoded fields are re-encoded
 * here on verify, so any change to a meaningful field breaks the signature.
 */
import { concatBytes, u32be, u64be, utf8 } from './bytes.ts'

export type SigningField =
  | { bytes: Uint8Array }
  | { u32: number }
  | { u64: number }
  | { bool: boolean }
  | { list: SigningField[][] }

function encodeField(field: SigningField): Uint8Array {
  if ('bytes' in field) return concatBytes(u32be(field.bytes.length), field.bytes)
  if ('u32' in field) return u32be(field.u32)
  if ('u64' in field) return u64be(field.u64)
  if ('bool' in field) return Uint8Array.of(field.bool ? 1 : 0)
  return concatBytes(u32be(field.list.length), ...field.list.map((item) => encodeFields(item)))
}

function encodeFields(fields: SigningField[]): Uint8Array {
  return concatBytes(...fields.map(encodeField))
}

/** The exact bytes an identity key signs for `label` (e.g. 'wren/prekey-bundle/v1'). */
export function signingInput(label: string, fields: SigningField[]): Uint8Array {
  const labelBytes = utf8(label)
  return concatBytes(u32be(labelBytes.length), labelBytes, encodeFields(fields))
}
