/**
 * Gossipsub topic of a group epoch:
 *   hex(SHA-256(utf8('wren/group-topic/v1') ‖ topicSecret ‖ groupId ‖ u32be(epoch)))
 * The topic reveals neither the group's name nor its members; without the topic secret
 * (shared only with members, inside the create op, over pairwise E2EE sessions) it cannot even
 * be linked to the group id. A removed member knows the old secret and could compute later
 * topics, but the topic changes with every epoch and every remaining member rotates its sender
 * key to the remaining members only, so it cannot read what is published there.
 */
import { concatBytes, toHex, u32be, utf8 } from '../bytes.ts'
import { checkKey, checkUint } from '../checks.ts'
import type { CryptoSuite } from '../crypto/suite.ts'
import { GROUP_ID_BYTES, GROUP_TOPIC_LABEL, GROUP_TOPIC_SECRET_BYTES } from './constants.ts'
import type { GroupState } from './state.ts'

/** Largest epoch: it is encoded as a u32. */
const MAX_EPOCH = 0xffff_ffff

export function groupTopic(
  suite: CryptoSuite,
  groupId: Uint8Array,
  epoch: number,
  topicSecret: Uint8Array,
): string {
  checkKey('group id', groupId, GROUP_ID_BYTES)
  checkKey('topic secret', topicSecret, GROUP_TOPIC_SECRET_BYTES)
  checkUint('epoch', epoch, MAX_EPOCH)
  return toHex(suite.sha256(concatBytes(utf8(GROUP_TOPIC_LABEL), topicSecret, groupId, u32be(epoch))))
}

/** The topic of the state's current epoch. */
export function currentGroupTopic(suite: CryptoSuite, state: GroupState): string {
  return groupTopic(suite, state.groupId, state.epoch, state.topicSecret)
}
