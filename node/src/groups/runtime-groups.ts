/**
 * Wiring of the group service into a running node: gossipsub as the topic transport, the
 * messenger as the pairwise side. Start it before the messenger starts delivering, so no group
 * app payload arrives before its handler is registered.
 */
import type { Libp2p } from '@libp2p/interface'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import type { IdentityKeyPair } from '../../../core/src/identity.ts'
import type { IdentitySuccession } from '../../../core/src/identity-succession.ts'
import type { Messenger } from '../messaging/messenger.ts'
import type { Vault } from '../messaging/vault.ts'
import type { WrenServices } from '../p2p/host.ts'
import { gossipTransport } from './gossip-transport.ts'
import { isWellFormedWire } from './group-receive.ts'
import { type GroupService, groupService } from './group-service.ts'
import type { GroupLogger, GroupNotify } from './types.ts'

export interface StartGroupsInit {
  suite: CryptoSuite
  vault: Vault
  identity: IdentityKeyPair
  userId: Uint8Array
  succession: IdentitySuccession | null
  libp2p: Libp2p<WrenServices>
  messenger: Messenger
  card: () => string
  notify: GroupNotify
  log: GroupLogger
}

export interface RunningGroups {
  readonly service: GroupService
  stop(): Promise<void>
}

export async function startGroups(init: StartGroupsInit): Promise<RunningGroups> {
  const transport = gossipTransport(init.libp2p.services.pubsub, init.log, {
    guard: init.libp2p.services.peerGuard,
    wellFormed: isWellFormedWire,
  })
  const service = groupService()({
    suite: init.suite,
    vault: init.vault,
    identity: init.identity,
    userId: init.userId,
    succession: init.succession,
    card: init.card,
    pairwise: init.messenger,
    transport,
    notify: init.notify,
    now: () => Date.now(),
    log: init.log,
  })
  await service.start()
  return {
    service,
    async stop() {
      await service.stop()
      transport.close()
    },
  }
}
