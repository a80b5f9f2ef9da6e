/**
 * The running node of an unlocked profile: the libp2p host with the Wren DHT rules, the bundle
 * publisher, the prekey manager and the messenger. Started by the daemon on unlock, stopped on
 * daemon stop. Network settings come from the daemon's options (bootstrap peers, listen
 * addresses, mDNS). There is one network configuration: users, tests, the demo and the
 * benchmarks all run it.
 */
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import type { ConnectionGater, Libp2p } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { checkBundleRecord, newestBundleIndex } from '../../../core/src/bundle-record.ts'
import { toHex } from '../../../core/src/bytes.ts'
import { encodeContactCard, signContactCard } from '../../../core/src/contact-card.ts'
import { type DeviceCertificate, signDeviceCertificate } from '../../../core/src/device-certificate.ts'
import {
  type IdentityKeyPair,
  identityKeyPairFromSeed,
  userIdFromIdentityKey,
} from '../../../core/src/identity.ts'
import { signIdentitySuccession } from '../../../core/src/identity-succession.ts'
import { encodePrekeyBundle, signPrekeyBundle } from '../../../core/src/prekey-bundle.ts'
import type { DaemonContext } from '../daemon/context.ts'
import type { UnlockedProfile } from '../daemon/profile-session.ts'
import type { GroupService } from '../groups/group-service.ts'
import { startGroups } from '../groups/runtime-groups.ts'
import { DEFAULT_MAILBOX_COUNT, Mailboxes } from '../messaging/mailboxes.ts'
import { Messenger } from '../messaging/messenger.ts'
import { peerIdFromBytes } from '../messaging/peer-ids.ts'
import { migrateOneTimePrekeys, SealedOneTimePrekeyStore } from '../messaging/prekey-store.ts'
import { PrekeyManager } from '../messaging/prekeys.ts'
import { Vault } from '../messaging/vault.ts'
import { type BundlePublisher, bundlePublisher } from '../p2p/bundle-publisher.ts'
import { cardAddrs } from '../p2p/card-addrs.ts'
import { userIdFromBundleKey, wrenRecordRules } from '../p2p/dht-records.ts'
import { createWrenHost, type WrenServices, type WrenTransport } from '../p2p/host.ts'
import { readIdentityRecord } from '../profile/records.ts'
import { messagingNotify } from '../rpc/messaging-view.ts'
import type { PrekeySecret } from '../storage/keystore.ts'
import { type DoctorCheck, networkReport, runDoctor } from './network-report.ts'

/** How often prekeys are checked for rotation and refill while the node runs. */
export const PREKEY_MAINTENANCE_INTERVAL_MS = 60 * 60 * 1000
/** Addresses put on a contact card: a few are enough for the first dial. */
const MAX_CARD_ADDRS = 8
/** Retry of a failed bundle put: contacts cannot start a session until the bundle is out. */
export const BUNDLE_PUBLISH_RETRY_MS = 5_000

export interface NetworkOptions {
  /** Multiaddrs (with /p2p/…) to dial at start: relays or friends. */
  bootstrap?: string[]
  /** Listen multiaddrs; production defaults otherwise. */
  listen?: string[]
  /** Local-network discovery by mDNS (default on; see WrenHostInit.mdns). */
  mdns?: boolean
  /** The WAN DHT's mode (simulations set false: in-process, nothing confirms a public address). */
  dhtClientMode?: boolean
  /** Relays (multiaddrs with /p2p/…) to keep mailboxes on; they are dialled like bootstrap peers. */
  relays?: string[]
  /** Mailboxes to keep (k, default 3). */
  mailboxCount?: number
  /** Periodic mailbox fetch interval. */
  mailboxFetchIntervalMs?: number
  /** Outbox retry tuning (tests shorten it). */
  retryBaseMs?: number
  retryMaxMs?: number
  /**
   * In-process simulations only: replaces the TCP/WS/circuit-relay/WebRTC transports (e.g.
   * `[memory()]`); `listen` must then be given. See `WrenHostInit.transports`.
   */
  transports?: WrenTransport[]
  /** libp2p connection gater (simulations cut links with it). See `WrenHostInit.connectionGater`. */
  connectionGater?: ConnectionGater
  /** Many hosts in one process (simulations only). See `CrowdTuning`. */
  crowd?: boolean
}

export interface Runtime {
  readonly libp2p: Libp2p<WrenServices & { publisher: BundlePublisher }>
  readonly messenger: Messenger
  /** Groups over gossipsub with Sender Keys (node/src/groups). */
  readonly groups: GroupService
  readonly vault: Vault
  readonly identity: IdentityKeyPair
  readonly userId: Uint8Array
  displayName(): string
  /** Use a new display name at once (new cards, outgoing messages); the caller persists it. */
  setDisplayName(name: string): void
  /** The bootstrap peers and relays this node was started with. */
  readonly network: { readonly bootstrap: readonly string[]; readonly relays: readonly string[] }
  card(): string
  /** Network checks for `wren doctor` (node/src/app/network-report.ts). */
  doctor(): Promise<DoctorCheck[]>
  /** Whether an open connection to this device (PeerId multihash bytes) exists right now. */
  isOnline(devicePeerId: Uint8Array): boolean
  stop(): Promise<void>
}

export async function startRuntime(
  ctx: DaemonContext,
  profile: UnlockedProfile,
  options: NetworkOptions,
): Promise<Runtime> {
  const { suite } = ctx
  const secrets = profile.secrets
  const identity = identityKeyPairFromSeed(suite, secrets.identitySeed)
  // The user id derives from the origin identity key; after identity.rotate the origin signs the
  // current key (succession), and bundles, cards and messages carry that proof.
  const origin =
    secrets.originIdentitySeed === undefined
      ? identity
      : identityKeyPairFromSeed(suite, secrets.originIdentitySeed)
  const userId = userIdFromIdentityKey(suite, origin.publicKey)
  const succession = origin === identity ? null : signIdentitySuccession(suite, origin, identity.publicKey)
  const deviceKey = {
    publicKey: suite.ed25519PublicKey(secrets.deviceKeySeed),
    secretKey: secrets.deviceKeySeed,
  }
  const record = (await readIdentityRecord(profile.store)) ?? {
    displayName: '',
    createdAt: Date.now(),
  }
  let displayName = record.displayName
  const vault = new Vault(profile.store, secrets.storageKey)
  const log = ctx.log.child('node:messaging')

  // one-time prekeys live in the profile store; older profiles had them in the keystore
  const migrated = await migrateOneTimePrekeys(profile.store, secrets.prekeys, Date.now())
  const persistLongTerm = async (next: readonly PrekeySecret[]) => {
    const current = ctx.session.requireUnlocked().secrets
    await ctx.session.updateSecrets({ ...current, prekeys: [...next] })
  }
  if (migrated.moved > 0) await persistLongTerm(migrated.longTerm)
  const prekeys = await PrekeyManager.open({
    suite,
    identity,
    longTerm: migrated.longTerm,
    persistLongTerm,
    oneTimeStore: new SealedOneTimePrekeyStore(profile.store),
  })
  await prekeys.maintain(Date.now())

  const privateKey = privateKeyFromProtobuf(secrets.libp2pPrivateKey)
  let mailboxes: Mailboxes | null = null
  let ready = false
  let cardCache: { key: string; card: string } | null = null
  let certificate: DeviceCertificate | null = null
  let bundle: Uint8Array | null = null
  const currentBundle = (): Uint8Array => {
    if (bundle !== null) return bundle
    certificate ??= signDeviceCertificate(suite, identity, {
      devicePeerId: peerIdFromPrivateKey(privateKey).toMultihash().bytes,
      deviceKey: deviceKey.publicKey,
      createdAt: record.createdAt,
    })
    const { signedPrekey, kemPrekey } = prekeys.bundlePrekeys()
    bundle = encodePrekeyBundle(
      signPrekeyBundle(suite, identity, {
        userId,
        succession,
        deviceCertificate: certificate,
        signedPrekey,
        kemPrekey,
        mailboxes: mailboxes?.hints() ?? [],
        createdAt: Date.now(),
      }),
    )
    return bundle
  }

  const records = wrenRecordRules({
    validateBundleRecord: async (key, value) => {
      checkBundleRecord(suite, userIdFromBundleKey(key), value, Date.now())
    },
    selectNewestBundle: (_key, values) => newestBundleIndex(values),
  })
  const libp2p = await createWrenHost({
    privateKey,
    ...(options.listen ? { listen: options.listen } : {}),
    bootstrap: [...(options.bootstrap ?? []), ...(options.relays ?? [])],
    records,
    extraServices: {
      publisher: bundlePublisher({
        // nothing is published until the mailboxes are registered: a bundle without them would
        // send contacts nowhere while this device is offline
        currentRecord: async () => (ready ? { userId, bundle: currentBundle() } : undefined),
        retryMs: BUNDLE_PUBLISH_RETRY_MS,
      }),
    },
    ...(options.mdns !== undefined ? { mdns: options.mdns } : {}),
    ...(options.dhtClientMode !== undefined ? { dht: { clientMode: options.dhtClientMode } } : {}),
    ...(options.transports !== undefined ? { transports: options.transports } : {}),
    ...(options.connectionGater !== undefined ? { connectionGater: options.connectionGater } : {}),
    ...(options.crowd !== undefined ? { crowd: options.crowd } : {}),
  })

  const messenger = new Messenger({
    suite,
    vault,
    prekeys,
    identity,
    userId,
    succession,
    displayName: () => displayName,
    deviceKey,
    libp2p,
    verifyBundle: (bytes, forUser) => checkBundleRecord(suite, forUser, bytes, Date.now()),
    currentBundle: () => currentBundle(),
    notify: messagingNotify(ctx.notify),
    now: () => Date.now(),
    log,
    ...(options.retryBaseMs !== undefined ? { retryBaseMs: options.retryBaseMs } : {}),
    ...(options.retryMaxMs !== undefined ? { retryMaxMs: options.retryMaxMs } : {}),
  })
  // groups register their app kinds before the messenger starts delivering (node/src/groups)
  let runtimeCard: () => string = () => ''
  const groups = await startGroups({
    suite,
    vault,
    identity,
    userId,
    succession,
    libp2p,
    messenger,
    card: () => runtimeCard(),
    notify: (event, payload) => ctx.notify(event, payload),
    log: ctx.log.child('node:groups'),
  })
  await messenger.start()

  if ((options.relays ?? []).length > 0) {
    const active = new Mailboxes({
      suite,
      store: profile.store,
      libp2p,
      relays: options.relays ?? [],
      ...(options.mailboxCount !== undefined ? { count: options.mailboxCount } : {}),
      ...(options.mailboxFetchIntervalMs !== undefined
        ? { fetchIntervalMs: options.mailboxFetchIntervalMs }
        : {}),
      prekeys,
      log: log.child('node:mailbox'),
      now: () => Date.now(),
      deliver: (envelopes) => messenger.deliverFetched(envelopes),
      onChange: () => {
        bundle = null
        void libp2p.services.publisher.publish()
      },
    })
    messenger.attachMailboxes(active)
    mailboxes = active
    await active.start()
  }
  ready = true
  bundle = null
  void libp2p.services.publisher.publish()

  // A bundle put with no DHT peers fails; publish again as soon as a peer is identified (it is
  // then in the routing table).
  const onConnect = () => {
    const last = libp2p.services.publisher.lastResult
    if (last === undefined || !last.ok) void libp2p.services.publisher.publish()
  }
  libp2p.addEventListener('peer:identify', onConnect)

  const maintenance = setInterval(() => {
    void prekeys.maintain(Date.now()).then((changed) => {
      if (changed) {
        bundle = null
        void libp2p.services.publisher.publish()
      }
    })
  }, PREKEY_MAINTENANCE_INTERVAL_MS)
  maintenance.unref()

  const reportSources = {
    libp2p,
    relays: options.relays ?? [],
    mailboxRelays: () => (mailboxes?.hints() ?? []).map((h) => peerIdFromBytes(h.relayPeerId).toString()),
  }
  ctx.setNetworkStatus(() => {
    const connections = libp2p.getConnections()
    return {
      peerId: libp2p.peerId.toString(),
      listenAddrs: libp2p.getMultiaddrs().map((a) => a.toString()),
      connections: connections.length,
      relays: new Set(
        libp2p
          .getMultiaddrs()
          .map((a) => a.toString())
          .filter((a) => a.includes('/p2p-circuit'))
          .map((a) => a.split('/p2p-circuit')[0]),
      ).size,
      mailboxes: mailboxes?.hints().length ?? 0,
      bundlePublished: libp2p.services.publisher.lastResult?.ok === true,
      report: networkReport(reportSources),
    }
  })
  log.info('node started', { peerId: libp2p.peerId.toString() })

  const runtime: Runtime = {
    libp2p,
    messenger,
    groups: groups.service,
    vault,
    identity,
    userId,
    displayName: () => displayName,
    setDisplayName: (name) => {
      displayName = name
    },
    network: { bootstrap: [...(options.bootstrap ?? [])], relays: [...(options.relays ?? [])] },
    doctor: () =>
      runDoctor({
        ...reportSources,
        userId,
        mailboxesWanted:
          (options.relays ?? []).length === 0 ? 0 : (options.mailboxCount ?? DEFAULT_MAILBOX_COUNT),
        mailboxesHeld: () => mailboxes?.hints().length ?? 0,
      }),
    isOnline: (devicePeerId) => {
      try {
        return libp2p.getConnections(peerIdFromBytes(devicePeerId)).some((c) => c.status === 'open')
      } catch {
        return false
      }
    },
    card: () => {
      // re-signed only when what it says changes, so the card is stable while nothing moves
      const addrs = cardAddrs(libp2p.getMultiaddrs(), MAX_CARD_ADDRS).map((a) => a.bytes)
      const name = displayName.length > 0 ? displayName : 'Wren user'
      const key = `${name}\n${addrs.map((a) => toHex(a)).join(',')}`
      if (cardCache?.key !== key) {
        const card = encodeContactCard(
          signContactCard(suite, identity, {
            userId,
            succession,
            identityKey: identity.publicKey,
            displayName: name,
            devicePeerId: libp2p.peerId.toMultihash().bytes,
            addrs,
            createdAt: Date.now(),
          }),
        )
        cardCache = { key, card }
      }
      return cardCache.card
    },
    async stop() {
      clearInterval(maintenance)
      libp2p.removeEventListener('peer:identify', onConnect)
      ctx.setNetworkStatus(null)
      await groups.stop()
      await mailboxes?.stop()
      await messenger.stop()
      await libp2p.stop()
    },
  }
  runtimeCard = () => runtime.card()
  return runtime
}
