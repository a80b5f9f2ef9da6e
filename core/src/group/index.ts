/** Group membership model: signed ops, the converging op log, state views and topic names. */
export { type ApplyContext, type ApplyResult, applyGroupOp, initialGroupState, successorOf } from './apply.ts'
export * from './constants.ts'
export {
  type ApplyOpsResult,
  applyOps,
  type CreateGroupInit,
  commitGroupOp,
  createGroup,
  currentState,
  exportOps,
  type GroupLog,
  type GroupOpOutcome,
  groupLogFromOps,
  heads,
  logStateHash,
  opOutcome,
  type RejectedGroupOp,
} from './log.ts'
export { decodeGroupLog, encodeGroupLog } from './log-codec.ts'
export {
  decodeGroupOp,
  encodeGroupOp,
  type GroupOp,
  type GroupOpArgs,
  type GroupOpFields,
  type GroupOpTarget,
  groupOpSigningInput,
  signGroupOp,
  verifyGroupOp,
} from './operations.ts'
export { groupOpOrder } from './order.ts'
export {
  epochOf,
  type GroupInvitation,
  type GroupMember,
  type GroupState,
  groupStateHash,
  invitationOf,
  isMember,
  memberOf,
  members,
  ownerOf,
  roleOf,
} from './state.ts'
export { currentGroupTopic, groupTopic } from './topic.ts'
