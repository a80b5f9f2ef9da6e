/**
 * Signed group membership operations. Each op names its group, the ops its author had seen
 * (`parents`, the heads of its log: the ops form a DAG), the actor (user id + identity key, with
 * an optional identity succession), a kind with its arguments and a claimed timestamp (display
 * only: ordering never uses it). The actor's identity key signs
 *   signingInput('wren/group-op/v1', [version, groupId, parents, actor…, kind, timestamp, args…])
 * and opId = SHA-256 of those same bytes, so an op id commits to the op's whole content and to
 * its parents' ids (a hash-linked DAG: no cycles without a SHA-256 preimage).
 *
 * Canonical form: parents strictly ascending (bytewise), arguments a kind does not use empty.
 * The decoder refuses anything else, so one op has exactly one accepted encoding.
 */
import { bytesEqual, utf8 } from '../bytes.ts'
import { checkDecodedLength, checkDecodedUint, checkKey, checkUint, decodeCapped } from '../checks.ts'
import { USER_ID_BYTES } from '../constants.ts'
import { type CryptoSuite, ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES } from '../crypto/suite.ts'
import { DecodeError, InvalidKeyError, InvalidSignatureError, UnsupportedVersionError } from '../errors.ts'
import { type IdentityKeyPair, userIdFromIdentityKey } from '../identity.ts'
import { type IdentitySuccession, verifyUserBinding } from '../identity-succession.ts'
import { GroupOp as GroupOpProto } from '../proto/group.ts'
import { type SigningField, signingInput } from '../signing-input.ts'
import {
  GROUP_ID_BYTES,
  GROUP_OP_ACCEPT,
  GROUP_OP_CREATE,
  GROUP_OP_DECLINE,
  GROUP_OP_ID_BYTES,
  GROUP_OP_INVITE,
  GROUP_OP_LABEL,
  GROUP_OP_LEAVE,
  GROUP_OP_REMOVE,
  GROUP_OP_RENAME,
  GROUP_OP_SET_ROLE,
  GROUP_OP_TRANSFER_OWNERSHIP,
  GROUP_OP_VERSION,
  GROUP_TOPIC_SECRET_BYTES,
  type GroupOpKind,
  type GroupRole,
  MAX_GROUP_NAME_CHARS,
  MAX_GROUP_OP_BYTES,
  MAX_GROUP_OP_PARENTS,
  ROLE_ADMIN,
  ROLE_MEMBER,
  ROLE_OWNER,
} from './constants.ts'

/** The user an op targets: user id, identity key and, when the key is not the origin, its succession. */
export interface GroupOpTarget {
  readonly userId: Uint8Array
  readonly identityKey: Uint8Array
  readonly succession: IdentitySuccession | null
}

export type GroupOpArgs =
  | { readonly kind: typeof GROUP_OP_CREATE; readonly name: string; readonly topicSecret: Uint8Array }
  | {
      readonly kind: typeof GROUP_OP_INVITE
      readonly invitee: GroupOpTarget
      /** Role offered: ROLE_ADMIN or ROLE_MEMBER. */
      readonly role: GroupRole
    }
  | { readonly kind: typeof GROUP_OP_ACCEPT }
  | { readonly kind: typeof GROUP_OP_DECLINE }
  | { readonly kind: typeof GROUP_OP_LEAVE }
  | { readonly kind: typeof GROUP_OP_REMOVE; readonly userId: Uint8Array }
  | { readonly kind: typeof GROUP_OP_RENAME; readonly name: string }
  | { readonly kind: typeof GROUP_OP_SET_ROLE; readonly userId: Uint8Array; readonly role: GroupRole }
  | { readonly kind: typeof GROUP_OP_TRANSFER_OWNERSHIP; readonly userId: Uint8Array }

export interface GroupOp {
  readonly version: number
  readonly groupId: Uint8Array
  /** SHA-256 of the canonical signing bytes (32). */
  readonly opId: Uint8Array
  /** Op ids of the heads the actor saw, strictly ascending; empty only for create. */
  readonly parents: readonly Uint8Array[]
  readonly actorUserId: Uint8Array
  readonly actorIdentityKey: Uint8Array
  readonly actorSuccession: IdentitySuccession | null
  /** Claimed ms since epoch, for display only. */
  readonly timestamp: number
  readonly args: GroupOpArgs
  /** Ed25519 signature by actorIdentityKey over the signing bytes (64). */
  readonly signature: Uint8Array
}

export interface GroupOpFields {
  readonly groupId: Uint8Array
  /** Op ids the actor saw (any order; sorted and de-duplicated here). */
  readonly parents: readonly Uint8Array[]
  readonly timestamp: number
  readonly args: GroupOpArgs
  /** The actor's identity succession, when its key is not the origin key of its user id. */
  readonly actorSuccession?: IdentitySuccession | null
}

const EMPTY = new Uint8Array(0)

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number)
    if (d !== 0) return d
  }
  return a.length - b.length
}

function isRole(role: number): role is GroupRole {
  return role === ROLE_OWNER || role === ROLE_ADMIN || role === ROLE_MEMBER
}

function isKind(kind: number): kind is GroupOpKind {
  return Number.isInteger(kind) && kind >= GROUP_OP_CREATE && kind <= GROUP_OP_TRANSFER_OWNERSHIP
}

/** Flat view of the arguments: every kind fills only the fields it uses. */
interface FlatArgs {
  name: string
  topicSecret: Uint8Array
  target: GroupOpTarget | null
  role: number
}

function flatten(args: GroupOpArgs): FlatArgs {
  const flat: FlatArgs = { name: '', topicSecret: EMPTY, target: null, role: 0 }
  switch (args.kind) {
    case GROUP_OP_CREATE:
      return { ...flat, name: args.name, topicSecret: args.topicSecret }
    case GROUP_OP_INVITE:
      return { ...flat, target: args.invitee, role: args.role }
    case GROUP_OP_RENAME:
      return { ...flat, name: args.name }
    case GROUP_OP_REMOVE:
    case GROUP_OP_TRANSFER_OWNERSHIP:
      return { ...flat, target: { userId: args.userId, identityKey: EMPTY, succession: null } }
    case GROUP_OP_SET_ROLE:
      return {
        ...flat,
        target: { userId: args.userId, identityKey: EMPTY, succession: null },
        role: args.role,
      }
    default:
      return flat
  }
}

function successionFields(s: IdentitySuccession | null): SigningField[] {
  return [{ bytes: s?.originIdentityKey ?? EMPTY }, { bytes: s?.signature ?? EMPTY }]
}

/** The exact bytes the actor signs and whose SHA-256 is the op id. */
export function groupOpSigningInput(op: Omit<GroupOp, 'opId' | 'signature'>): Uint8Array {
  const flat = flatten(op.args)
  return signingInput(GROUP_OP_LABEL, [
    { u32: op.version },
    { bytes: op.groupId },
    { list: op.parents.map((p) => [{ bytes: p }]) },
    { bytes: op.actorUserId },
    { bytes: op.actorIdentityKey },
    ...successionFields(op.actorSuccession),
    { u32: op.args.kind },
    { u64: op.timestamp },
    { bytes: utf8(flat.name) },
    { bytes: flat.topicSecret },
    { bytes: flat.target?.userId ?? EMPTY },
    { bytes: flat.target?.identityKey ?? EMPTY },
    ...successionFields(flat.target?.succession ?? null),
    { u32: flat.role },
  ])
}

// ---- shape checks shared by signing (caller errors) and decoding (untrusted bytes)

type Fail = (message: string) => never

function checkName(name: string, fail: Fail): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_GROUP_NAME_CHARS)
    fail(`group name must be 1..${MAX_GROUP_NAME_CHARS} characters`)
}

function checkLength(what: string, value: Uint8Array, length: number, fail: Fail): void {
  if (!(value instanceof Uint8Array) || value.length !== length) fail(`${what} must be ${length} bytes`)
}

function checkSuccession(what: string, s: IdentitySuccession | null, fail: Fail): void {
  if (s === null) return
  checkLength(`${what} succession origin key`, s.originIdentityKey, ED25519_PUBLIC_KEY_BYTES, fail)
  checkLength(`${what} succession signature`, s.signature, ED25519_SIGNATURE_BYTES, fail)
}

/** Structure of an op without its signature: lengths, canonical parents, per-kind arguments. */
function checkShape(op: Omit<GroupOp, 'opId' | 'signature'>, fail: Fail): void {
  checkLength('group id', op.groupId, GROUP_ID_BYTES, fail)
  checkLength('actor user id', op.actorUserId, USER_ID_BYTES, fail)
  checkLength('actor identity key', op.actorIdentityKey, ED25519_PUBLIC_KEY_BYTES, fail)
  checkSuccession('actor', op.actorSuccession, fail)
  if (!Number.isSafeInteger(op.timestamp) || op.timestamp < 0) fail('timestamp out of range')
  if (op.parents.length > MAX_GROUP_OP_PARENTS) fail(`more than ${MAX_GROUP_OP_PARENTS} parents`)
  for (const [i, parent] of op.parents.entries()) {
    checkLength('parent op id', parent, GROUP_OP_ID_BYTES, fail)
    const previous = op.parents[i - 1]
    if (previous !== undefined && compareBytes(previous, parent) >= 0)
      fail('parents must be strictly ascending')
  }
  const args = op.args
  if (args.kind === GROUP_OP_CREATE) {
    if (op.parents.length !== 0) fail('create has no parents')
  } else if (op.parents.length === 0) fail('only create has no parents')
  switch (args.kind) {
    case GROUP_OP_CREATE:
      checkName(args.name, fail)
      checkLength('topic secret', args.topicSecret, GROUP_TOPIC_SECRET_BYTES, fail)
      return
    case GROUP_OP_RENAME:
      checkName(args.name, fail)
      return
    case GROUP_OP_INVITE:
      checkLength('invitee user id', args.invitee.userId, USER_ID_BYTES, fail)
      checkLength('invitee identity key', args.invitee.identityKey, ED25519_PUBLIC_KEY_BYTES, fail)
      checkSuccession('invitee', args.invitee.succession, fail)
      if (args.role !== ROLE_ADMIN && args.role !== ROLE_MEMBER) fail('invite offers admin or member')
      return
    case GROUP_OP_SET_ROLE:
      if (args.role !== ROLE_ADMIN && args.role !== ROLE_MEMBER) fail('setRole sets admin or member')
      checkLength('target user id', args.userId, USER_ID_BYTES, fail)
      return
    case GROUP_OP_REMOVE:
    case GROUP_OP_TRANSFER_OWNERSHIP:
      checkLength('target user id', args.userId, USER_ID_BYTES, fail)
      return
    case GROUP_OP_ACCEPT:
    case GROUP_OP_DECLINE:
    case GROUP_OP_LEAVE:
      return
    default:
      fail('unknown op kind')
  }
}

const failKey: Fail = (message) => {
  throw new InvalidKeyError(message)
}
const failDecode: Fail = (message) => {
  throw new DecodeError(`group op: ${message}`)
}

/** Sign an op as `identity`. Parents are sorted and de-duplicated; InvalidKeyError on bad fields. */
export function signGroupOp(suite: CryptoSuite, identity: IdentityKeyPair, fields: GroupOpFields): GroupOp {
  checkKey('identity key', identity.publicKey, ED25519_PUBLIC_KEY_BYTES)
  checkUint('timestamp', fields.timestamp, Number.MAX_SAFE_INTEGER)
  const parents = [...fields.parents].sort(compareBytes).filter((p, i, all) => {
    const previous = all[i - 1]
    return previous === undefined || compareBytes(previous, p) !== 0
  })
  const actorSuccession = fields.actorSuccession ?? null
  const actorUserId =
    actorSuccession === null
      ? userIdFromIdentityKey(suite, identity.publicKey)
      : userIdFromIdentityKey(suite, actorSuccession.originIdentityKey)
  const unsigned = {
    version: GROUP_OP_VERSION,
    groupId: fields.groupId,
    parents,
    actorUserId,
    actorIdentityKey: identity.publicKey,
    actorSuccession,
    timestamp: fields.timestamp,
    args: fields.args,
  }
  checkShape(unsigned, failKey)
  const input = groupOpSigningInput(unsigned)
  return { ...unsigned, opId: suite.sha256(input), signature: suite.ed25519Sign(identity.secretKey, input) }
}

/**
 * Throws InvalidSignatureError unless the op id matches its content, the actor (and an invitee)
 * is bound to its identity key, and the actor's identity key signed the op. Authorization
 * (is the actor allowed to do this in this group?) is the fold's job (apply.ts).
 */
export function verifyGroupOp(suite: CryptoSuite, op: GroupOp): void {
  const input = groupOpSigningInput(op)
  if (!bytesEqual(suite.sha256(input), op.opId)) throw new InvalidSignatureError('group op id does not match')
  try {
    verifyUserBinding(suite, op.actorUserId, op.actorIdentityKey, op.actorSuccession)
    if (op.args.kind === GROUP_OP_INVITE) {
      const { userId, identityKey, succession } = op.args.invitee
      verifyUserBinding(suite, userId, identityKey, succession)
    }
  } catch (err) {
    if (err instanceof InvalidKeyError) throw new InvalidSignatureError(`group op: ${err.message}`)
    throw err
  }
  if (!suite.ed25519Verify(op.actorIdentityKey, input, op.signature))
    throw new InvalidSignatureError('group op signature does not verify')
}

// ---- wire codec

function successionFromProto(
  what: string,
  key: Uint8Array,
  signature: Uint8Array,
): IdentitySuccession | null {
  if (key.length === 0 && signature.length === 0) return null
  checkDecodedLength(`${what} succession origin key`, key, ED25519_PUBLIC_KEY_BYTES)
  checkDecodedLength(`${what} succession signature`, signature, ED25519_SIGNATURE_BYTES)
  return { originIdentityKey: key, signature }
}

export function encodeGroupOp(op: GroupOp): Uint8Array {
  const flat = flatten(op.args)
  const b = (x: Uint8Array) => x as Uint8Array<ArrayBuffer>
  return GroupOpProto.encode({
    version: op.version,
    groupId: b(op.groupId),
    opId: b(op.opId),
    parents: op.parents.map(b),
    actorUserId: b(op.actorUserId),
    actorIdentityKey: b(op.actorIdentityKey),
    actorSuccessionOriginKey: b(op.actorSuccession?.originIdentityKey ?? EMPTY),
    actorSuccessionSignature: b(op.actorSuccession?.signature ?? EMPTY),
    kind: op.args.kind,
    timestamp: op.timestamp,
    name: flat.name,
    topicSecret: b(flat.topicSecret),
    targetUserId: b(flat.target?.userId ?? EMPTY),
    targetIdentityKey: b(flat.target?.identityKey ?? EMPTY),
    targetSuccessionOriginKey: b(flat.target?.succession?.originIdentityKey ?? EMPTY),
    targetSuccessionSignature: b(flat.target?.succession?.signature ?? EMPTY),
    role: flat.role,
    signature: b(op.signature),
  })
}

/**
 * Parse an op from untrusted bytes: size cap, protobuf, versions, lengths, canonical form.
 * Does not verify the signature (verifyGroupOp). DecodeError / UnsupportedVersionError only.
 */
export function decodeGroupOp(bytes: Uint8Array): GroupOp {
  const p = decodeCapped('group op', bytes, MAX_GROUP_OP_BYTES, (b) =>
    GroupOpProto.decode(b, { limits: { parents: MAX_GROUP_OP_PARENTS } }),
  )
  if (p.version !== GROUP_OP_VERSION) throw new UnsupportedVersionError(`group op version ${p.version}`)
  checkDecodedLength('group op id', p.opId, GROUP_OP_ID_BYTES)
  checkDecodedLength('group op signature', p.signature, ED25519_SIGNATURE_BYTES)
  checkDecodedUint('group op timestamp', p.timestamp)
  if (!isKind(p.kind)) throw new DecodeError(`group op: unknown kind ${p.kind}`)
  const kind = p.kind
  const uses = {
    name: kind === GROUP_OP_CREATE || kind === GROUP_OP_RENAME,
    topicSecret: kind === GROUP_OP_CREATE,
    targetUserId:
      kind === GROUP_OP_INVITE ||
      kind === GROUP_OP_REMOVE ||
      kind === GROUP_OP_SET_ROLE ||
      kind === GROUP_OP_TRANSFER_OWNERSHIP,
    targetKey: kind === GROUP_OP_INVITE,
    role: kind === GROUP_OP_INVITE || kind === GROUP_OP_SET_ROLE,
  }
  if (!uses.name && p.name !== '') failDecode('unexpected name')
  if (!uses.topicSecret && p.topicSecret.length !== 0) failDecode('unexpected topic secret')
  if (!uses.targetUserId && p.targetUserId.length !== 0) failDecode('unexpected target')
  if (
    !uses.targetKey &&
    (p.targetIdentityKey.length !== 0 ||
      p.targetSuccessionOriginKey.length !== 0 ||
      p.targetSuccessionSignature.length !== 0)
  )
    failDecode('unexpected target key')
  if (!uses.role && p.role !== 0) failDecode('unexpected role')
  if (uses.role && !isRole(p.role)) failDecode(`unknown role ${p.role}`)
  const role = p.role as GroupRole
  let args: GroupOpArgs
  switch (kind) {
    case GROUP_OP_CREATE:
      args = { kind, name: p.name, topicSecret: p.topicSecret }
      break
    case GROUP_OP_INVITE:
      args = {
        kind,
        role,
        invitee: {
          userId: p.targetUserId,
          identityKey: p.targetIdentityKey,
          succession: successionFromProto(
            'invitee',
            p.targetSuccessionOriginKey,
            p.targetSuccessionSignature,
          ),
        },
      }
      break
    case GROUP_OP_RENAME:
      args = { kind, name: p.name }
      break
    case GROUP_OP_SET_ROLE:
      args = { kind, userId: p.targetUserId, role }
      break
    case GROUP_OP_REMOVE:
    case GROUP_OP_TRANSFER_OWNERSHIP:
      args = { kind, userId: p.targetUserId }
      break
    default:
      args = { kind }
  }
  const op: GroupOp = {
    version: p.version,
    groupId: p.groupId,
    opId: p.opId,
    parents: p.parents,
    actorUserId: p.actorUserId,
    actorIdentityKey: p.actorIdentityKey,
    actorSuccession: successionFromProto('actor', p.actorSuccessionOriginKey, p.actorSuccessionSignature),
    timestamp: p.timestamp,
    args,
    signature: p.signature,
  }
  checkShape(op, failDecode)
  return op
}
