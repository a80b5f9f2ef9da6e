/** node.status (works while locked) and node.doctor. */
import { formatUserId } from '../../../../core/src/identity.ts'
import { profileUserId } from '../../profile/identity.ts'
import type { HandlerDeps, NamespaceHandlers } from './deps.ts'

export function nodeHandlers({ ctx, node }: HandlerDeps): NamespaceHandlers<'node'> {
  return {
    'node.status': async () => {
      const unlocked = ctx.session.unlocked
      const network = ctx.networkStatus()
      return {
        version: ctx.version,
        hasIdentity: ctx.session.hasIdentity,
        unlocked: unlocked !== null,
        userId: unlocked === null ? null : formatUserId(profileUserId(ctx.suite, unlocked.secrets)),
        peerId: network?.peerId ?? unlocked?.peerId ?? null,
        listenAddrs: [...(network?.listenAddrs ?? [])],
        connections: network?.connections ?? 0,
        relays: network?.relays ?? 0,
        mailboxes: network?.mailboxes ?? 0,
        bundlePublished: network?.bundlePublished ?? false,
        network: network?.report ?? null,
        uptimeMs: Math.max(0, Date.now() - ctx.startedAt),
      }
    },

    'node.doctor': async () => ({ checks: await node.runtime().doctor() }),
  }
}
