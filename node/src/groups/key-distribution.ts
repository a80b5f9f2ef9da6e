/**
 * Sender-key distribution: our Sender Key for each group's epoch, handed to every current member
 * over the pairwise sessions (reconcile), and the members' keys we receive the same way.
 * Callers of `reconcile` hold the service's lock; `onSenderKey` takes it.
 */
import { toHex } from '../../../core/src/bytes.ts'
import { memberOf } from '../../../core/src/group/index.ts'
import { parseUserId } from '../../../core/src/identity.ts'
import type { AppDelivery } from '../messaging/inbound.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import { APP_GROUP_SENDER_KEY } from './constants.ts'
import type { GroupContext } from './context.ts'
import { catchUpSends, type JoinCatchUp } from './join-catch-up.ts'
import { memberIdsIn, type Outgoing } from './op-sync.ts'
import type { LiveGroup } from './registry.ts'
import type { SenderKeyBook } from './sender-keys.ts'
import { decodeSenderKeyMsg, encodeSenderKeyMsg } from './wire.ts'

/** What changed on a member's pinned device list: devices added, devices revoked. */
export interface MemberDeviceChange {
  readonly added: boolean
  readonly revoked: boolean
}

export class KeyDistribution {
  readonly #ctx: GroupContext

  constructor(ctx: GroupContext) {
    this.#ctx = ctx
  }

  /**
   * Our Sender Key for the group's epoch, distributed to every current member (lock held).
   * Newcomers with a catch-up get our held posts and the distributions that open them first; one
   * that got a distribution of our current chain that way is not sent the current one as well.
   * `rotate`: a new chain now, sent to every member (a member's device was revoked).
   */
  reconcile(
    g: LiveGroup,
    catchUps: readonly JoinCatchUp[] = [],
    rotate = false,
  ): { ops: BatchOp[]; sends: Outgoing[] } {
    const { keys, me, now } = this.#ctx
    // our own user id stands for our own other devices (the queue sends it to them, issue 18)
    const recipients = [...memberIdsIn(g.log.state, me), me]
    const r = keys.reconcile(g.record.groupId, g.log.state.epoch, recipients, now(), rotate)
    keys.commitOwn(r.next)
    const chain = r.next.state.chains[0]
    const current =
      chain === undefined ? null : { distHex: toHex(r.next.state.distributionId), chainId: chain.chainId }
    const joined = catchUpSends(g.log.groupId, catchUps, current)
    const sends: Outgoing[] = [...joined.sends]
    const peers = r.send?.peers.filter((p) => !joined.covered.has(p)) ?? []
    if (r.send !== null && peers.length > 0) {
      sends.push({
        groupId: g.record.groupId,
        peers,
        appKind: APP_GROUP_SENDER_KEY,
        payload: encodeSenderKeyMsg({
          groupId: g.log.groupId,
          epoch: r.send.epoch,
          distribution: r.send.distribution,
        }),
        distribution: true,
      })
    }
    return { ops: r.ops, sends }
  }

  /**
   * A member's device list changed (issue 18; lock held). Our distributions go to a member as one
   * pairwise payload that the messenger seals for each device on the member's pinned list, so:
   * a revoked device holds our current chain, and we rotate in every group the member is in (the
   * new chain reaches the remaining devices only, and every other member rotates the same way
   * when it pins the list), and the keys that device distributed are forgotten; a new device has
   * none of our chains, and gets the current one. Our own list (`userId` is ours) works the same
   * way: our own other devices hold our chains (reconcile sends them to our own user id).
   */
  memberDevicesChanged(
    userId: string,
    change: MemberDeviceChange,
    revokedDevices: ReadonlySet<string>,
  ): { ops: BatchOp[]; sends: Outgoing[] } {
    const { keys, me, groups } = this.#ctx
    const ops: BatchOp[] = []
    const sends: Outgoing[] = []
    if (!change.revoked && !change.added) return { ops, sends }
    // what a revoked device of theirs distributed is forgotten: its later posts are not read
    if (change.revoked) ops.push(...keys.forgetDevices(userId, revokedDevices))
    for (const g of groups.all()) {
      if (g.record.status !== 'member') continue
      // our own list (userId === me): our own other devices hold our chains too
      if (userId !== me && !memberIdsIn(g.log.state, me).includes(userId)) continue
      if (!change.revoked) ops.push(...keys.undistribute(g.record.groupId, [userId]))
      const r = this.reconcile(g, [], change.revoked)
      ops.push(...r.ops)
      sends.push(...r.sends)
    }
    return { ops, sends }
  }

  /**
   * A member's Sender Key (inside the messenger's lock: never await the messenger here).
   * Returns the distribution id (hex) it opens, so held topic payloads can be retried, or null.
   */
  async onSenderKey(d: AppDelivery): Promise<string | null> {
    const { lock, groups, keys, store, log } = this.#ctx
    const msg = decodeSenderKeyMsg(d.payload)
    const groupId = toHex(msg.groupId)
    return lock.run(async () => {
      const g = groups.group(groupId)
      if (g === undefined || g.record.status !== 'member') return null
      if (memberOf(g.log.state, parseUserId(d.senderUserId)) === undefined) {
        // the accept may still be on its way from another member: its key waits in pending wires
        log.debug('sender key from a non-member held back')
      }
      let received: ReturnType<SenderKeyBook['receive']>
      try {
        received = keys.receive(
          groupId,
          d.senderUserId,
          msg.epoch,
          msg.distribution,
          toHex(d.senderDeviceKey),
        )
      } catch (error) {
        log.debug('sender key refused', { error: (error as Error)?.name })
        return null
      }
      if (received === null) return null
      await store.batch(received.ops)
      keys.commitPeer(received.next)
      return toHex(received.next.state.distributionId)
    })
  }
}
