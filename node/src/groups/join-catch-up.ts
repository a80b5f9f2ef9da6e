/**
 * Posts in flight while someone joins. A member encrypts a post with its Sender Key and gives
 * that key (and pairwise copies) only to the members it knows. An invitee who accepts becomes a
 * member for everyone else only when its accept op arrives, so a post we make between the
 * invitee's accept and our processing of it would never reach the newcomer: it has no key for it,
 * and the key it gets later starts at our chain's position at that later time.
 *
 * So while invitations are pending in our view, each of our posts is held (the topic payload and
 * our Sender Key distribution at that post's chain position) for those invitees. When one of them
 * becomes a member, it gets the earliest held distribution of each chain, then the held posts
 * made at or after its accept (with JOIN_CLOCK_SKEW_MS of slack), pairwise. An invitee who
 * declines or is revoked is dropped from the holds; a hold with nobody left is deleted.
 *
 * Not covered: an invitation we have not yet seen when we post (made by another admin and
 * accepted before its invite op reached us).
 *
 * Callers hold the group service's lock; nothing here awaits the network.
 */
import { toHex } from '../../../core/src/bytes.ts'
import { type GroupState, invitationOf, memberOf } from '../../../core/src/group/index.ts'
import { formatUserId, parseUserId } from '../../../core/src/identity.ts'
import { GROUP_PREFIXES } from '../storage/layout.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import {
  APP_GROUP_MESSAGE,
  APP_GROUP_SENDER_KEY,
  JOIN_CLOCK_SKEW_MS,
  MAX_HELD_POSTS_PER_GROUP,
} from './constants.ts'
import type { GroupStore } from './group-store.ts'
import type { Outgoing } from './op-sync.ts'
import { encodeMessageCopy, encodeSenderKeyMsg } from './wire.ts'

/** One of our posts, held for the invitees pending when we made it (stored sealed). */
export interface HeldPost {
  groupId: string
  messageId: string
  /** Our conversation seq of the post: the order of the holds. */
  seq: number
  sentAt: number
  epoch: number
  /** Distribution id (hex) and chain id of the Sender Key chain the post is on. */
  distHex: string
  chainId: number
  /** Invitees (formatted user ids) that may still join and need the post. */
  invitees: string[]
  /** The topic payload. */
  wire: Uint8Array
  /** Our Sender Key distribution at the post's chain position. */
  distribution: Uint8Array
}

type HeldIndex = Pick<HeldPost, 'messageId' | 'seq' | 'invitees'>

/** A newcomer and the held posts it gets, oldest first. */
export interface JoinCatchUp {
  readonly peer: string
  readonly posts: readonly HeldPost[]
}

export class HeldPosts {
  readonly #store: GroupStore
  /** Per group: the holds (without their bytes), by message id. */
  readonly #index = new Map<string, Map<string, HeldIndex>>()

  constructor(store: GroupStore) {
    this.#store = store
  }

  async load(): Promise<void> {
    for await (const held of this.#store.all<HeldPost>(GROUP_PREFIXES.held)) this.#remember(held)
  }

  #remember(held: HeldIndex & { groupId: string }): void {
    const group = this.#index.get(held.groupId) ?? new Map<string, HeldIndex>()
    group.set(held.messageId, { messageId: held.messageId, seq: held.seq, invitees: held.invitees })
    this.#index.set(held.groupId, group)
  }

  /** Holds of a group (for tests and checks). */
  count(groupId: string): number {
    return this.#index.get(groupId)?.size ?? 0
  }

  /**
   * Hold one of our posts if invitations are pending (none: nothing to do). Returns the ops to
   * persist (the oldest holds past MAX_HELD_POSTS_PER_GROUP are dropped) and what to commit
   * after the write.
   */
  hold(
    state: GroupState,
    me: string,
    post: Omit<HeldPost, 'invitees'>,
  ): { ops: BatchOp[]; commit: () => void } {
    const invitees = state.invitations.map((i) => formatUserId(i.userId)).filter((u) => u !== me)
    if (invitees.length === 0) return { ops: [], commit: () => {} }
    const held: HeldPost = { ...post, invitees }
    const ops: BatchOp[] = [this.#store.put(this.#store.heldKey(post.groupId, post.messageId), held)]
    const existing = [...(this.#index.get(post.groupId)?.values() ?? [])].sort((a, b) => a.seq - b.seq)
    const dropped = existing.slice(0, Math.max(0, existing.length + 1 - MAX_HELD_POSTS_PER_GROUP))
    for (const d of dropped) ops.push(this.#store.del(this.#store.heldKey(post.groupId, d.messageId)))
    return {
      ops,
      commit: () => {
        for (const d of dropped) this.#index.get(post.groupId)?.delete(d.messageId)
        this.#remember(held)
      },
    }
  }

  /**
   * The group state moved from `previous` to `state`: invitees who became members get their
   * catch-up, the others who are no longer invited are dropped. Returns ops, the catch-ups and
   * what to commit after the write.
   */
  async settle(
    groupId: string,
    previous: GroupState,
    state: GroupState,
  ): Promise<{ ops: BatchOp[]; catchUps: JoinCatchUp[]; commit: () => void }> {
    const group = this.#index.get(groupId)
    const none = { ops: [], catchUps: [], commit: () => {} }
    if (group === undefined || group.size === 0) return none
    const resolved = new Set<string>()
    for (const held of group.values())
      for (const u of held.invitees) if (invitationOf(state, parseUserId(u)) === undefined) resolved.add(u)
    if (resolved.size === 0) return none
    const ops: BatchOp[] = []
    const posts = new Map<string, HeldPost[]>()
    const updates: HeldIndex[] = []
    for (const index of [...group.values()].sort((a, b) => a.seq - b.seq)) {
      if (!index.invitees.some((u) => resolved.has(u))) continue
      const key = this.#store.heldKey(groupId, index.messageId)
      const held = await this.#store.get<HeldPost>(key)
      for (const u of index.invitees) {
        if (!resolved.has(u) || held === undefined) continue
        const member = memberOf(state, parseUserId(u))
        const wasMember = memberOf(previous, parseUserId(u)) !== undefined
        if (member === undefined || wasMember || held.sentAt < member.joinedAt - JOIN_CLOCK_SKEW_MS) continue
        posts.set(u, [...(posts.get(u) ?? []), held])
      }
      const invitees = index.invitees.filter((u) => !resolved.has(u))
      updates.push({ messageId: index.messageId, seq: index.seq, invitees })
      if (invitees.length === 0 || held === undefined) ops.push(this.#store.del(key))
      else ops.push(this.#store.put(key, { ...held, invitees }))
    }
    return {
      ops,
      catchUps: [...posts].map(([peer, p]) => ({ peer, posts: p })),
      commit: () => {
        for (const u of updates) {
          if (u.invitees.length === 0) group.delete(u.messageId)
          else group.set(u.messageId, u)
        }
        if (group.size === 0) this.#index.delete(groupId)
      },
    }
  }

  /** Forget every hold of a group (we left or were removed): ops to delete them. */
  forgetGroup(groupId: string): BatchOp[] {
    const group = this.#index.get(groupId)
    if (group === undefined) return []
    this.#index.delete(groupId)
    return [...group.keys()].map((id) => this.#store.del(this.#store.heldKey(groupId, id)))
  }
}

/**
 * The pairwise payloads of the catch-ups: for each newcomer, the earliest held distribution of
 * each chain (a receiver ignores a later distribution of a chain it holds, so this one must be
 * the first it gets), then the held posts. `covered` lists the newcomers that already got a
 * distribution of `current` (our chain now), so the current one is not sent to them as well.
 */
export function catchUpSends(
  groupIdBytes: Uint8Array,
  catchUps: readonly JoinCatchUp[],
  current: { distHex: string; chainId: number } | null,
): { sends: Outgoing[]; covered: Set<string> } {
  const sends: Outgoing[] = []
  const covered = new Set<string>()
  const groupId = toHex(groupIdBytes)
  for (const { peer, posts } of catchUps) {
    const chains = new Set<string>()
    for (const post of posts) {
      const chain = `${post.distHex}:${post.chainId}`
      if (chains.has(chain)) continue
      chains.add(chain)
      if (current !== null && post.distHex === current.distHex && post.chainId === current.chainId)
        covered.add(peer)
      sends.push({
        groupId,
        peers: [peer],
        appKind: APP_GROUP_SENDER_KEY,
        payload: encodeSenderKeyMsg({
          groupId: groupIdBytes,
          epoch: post.epoch,
          distribution: post.distribution,
        }),
        distribution: true,
      })
    }
    for (const post of posts)
      sends.push({
        groupId,
        peers: [peer],
        appKind: APP_GROUP_MESSAGE,
        payload: encodeMessageCopy({ groupId: groupIdBytes, wire: post.wire }),
      })
  }
  return { sends, covered }
}
