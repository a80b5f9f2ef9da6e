/**
 * The running node of an unlocked profile, and its composition root: `startRuntime` builds the
 * parts in dependency order — keys, prekeys, this device's own records (bundle, card), the
 * libp2p host (with the bundle publisher), the relay mailboxes, the messenger, the groups, the
 * calls — then
 * starts them in order and stops them in reverse. Nothing is attached after construction.
 * Started by the daemon on unlock, stopped on lock or daemon stop. There is one network
 * configuration: users, tests, the demo and the benchmarks all run it.
 */
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import type { ConnectionGater, Libp2p } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { repeatingTask } from '@libp2p/utils'
import { checkBundleRecord } from '../../../core/src/bundle-record.ts'
import { formatUserId, type IdentityKeyPair } from '../../../core/src/identity.ts'
import { ProfilePictures } from '../avatar/picture-service.ts'
import { type CallService, callService } from '../calls/call-service.ts'
import { CallStream } from '../calls/call-stream.ts'
import { devicePeerLookup } from '../calls/device-peer.ts'
import { TurnCredentials } from '../calls/turn-client.ts'
import { DeviceListRefresh } from '../devices/device-list-refresh.ts'
import { ensureOwnDeviceList, type OwnDeviceList } from '../devices/own-device-list.ts'
import { revokesDevice, serveRevocationNotices, tellRevoked } from '../devices/revocation-notice.ts'
import { type RuntimeDevices, runtimeDevices } from '../devices/runtime-devices.ts'
import { FileService } from '../files/file-service.ts'
import type { GroupService } from '../groups/group-service.ts'
import { startGroups } from '../groups/runtime-groups.ts'
import { DEFAULT_MAILBOX_COUNT, Mailboxes } from '../messaging/mailboxes.ts'
import { Messenger } from '../messaging/messenger.ts'
import { peerIdFromBytes } from '../messaging/peer-ids.ts'
import { migrateOneTimePrekeys, SealedOneTimePrekeyStore } from '../messaging/prekey-store.ts'
import { PrekeyManager } from '../messaging/prekeys.ts'
import { type ContactRecord, Vault } from '../messaging/vault.ts'
import { type BundlePublisher, bundlePublisher } from '../p2p/bundle-publisher.ts'
import { putDeviceListRecord } from '../p2p/device-list-records.ts'
import { createWrenHost, type WrenServices, type WrenTransport } from '../p2p/host.ts'
import { type ContactDevice, EphemeralService } from '../presence/ephemeral-service.ts'
import { readIdentityRecord } from '../profile/records.ts'
import type { UnlockedProfile } from '../profile/session.ts'
import { callsNotify } from '../rpc/calls-view.ts'
import { filesNotify } from '../rpc/files-view.ts'
import { groupsNotify, messagingNotify } from '../rpc/messaging-view.ts'
import { MessageSearch } from '../search/search-service.ts'
import type { PrekeySecret } from '../storage/keystore.ts'
import type { HostContext } from './host-context.ts'
import { deriveIdentityMaterial } from './identity-material.ts'
import { type DoctorCheck, networkStatusOf, runDoctor } from './network-report.ts'
import { OwnRecords } from './own-records.ts'
import { userRecordRules } from './record-rules.ts'

/** How often prekeys are checked for rotation and refill while the node runs. */
export const PREKEY_MAINTENANCE_INTERVAL_MS = 60 * 60 * 1000
/** How often expired disappearing messages are swept: 1 s, the precision a 5 s timer needs. */
export const EXPIRY_SWEEP_INTERVAL_MS = 1_000
/** Retry of a failed bundle put: contacts cannot start a session until the bundle is out. */
export const BUNDLE_PUBLISH_RETRY_MS = 5_000

export interface NetworkOptions {
  /** This device was revoked by the primary (devices/revocation-notice.ts): the daemon locks. */
  onRevoked?: () => void
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
  /** Many hosts in one process (simulations only). See `WrenHostInit.crowd` in p2p/host.ts. */
  crowd?: boolean
  /** Call ring timeout (default RING_TIMEOUT_MS in calls/constants.ts; tests shorten it). */
  callRingTimeoutMs?: number
  /** Largest received file fetched without being asked (default AUTO_DOWNLOAD_MAX_BYTES). */
  autoDownloadMaxBytes?: number
}

export interface Runtime {
  readonly libp2p: Libp2p<WrenServices & { publisher: BundlePublisher; devicePublisher: BundlePublisher }>
  readonly messenger: Messenger
  /** Groups over gossipsub with Sender Keys (node/src/groups). */
  readonly groups: GroupService
  /** Calls: signalling and media keys; the media owner is the page or the CLI (node/src/calls). */
  readonly calls: CallService
  /** TURN credentials from this node's relays, for the media owner (calls.iceServers). */
  readonly turn: TurnCredentials
  /** Files sent and received in 1:1 messages (node/src/files). */
  readonly files: FileService
  /** Search of the whole history (node/src/search): an in-memory index following the store. */
  readonly search: MessageSearch
  /** Typing indicators and presence between contacts (node/src/presence). */
  readonly ephemeral: EphemeralService
  /** This identity's device list and contacts' pinned lists (node/src/devices, issue 18). */
  readonly devices: RuntimeDevices
  /** Our profile picture and contacts' pictures (node/src/avatar, issue 17). */
  readonly pictures: ProfilePictures
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
  ctx: HostContext,
  profile: UnlockedProfile,
  options: NetworkOptions,
): Promise<Runtime> {
  const { suite } = ctx
  const now = () => Date.now()
  const log = ctx.log.child('node:messaging')
  const relays = options.relays ?? []

  // ---- keys and stored state
  const keys = deriveIdentityMaterial(suite, profile.secrets)
  const { identity, userId, succession, deviceKey } = keys
  const record = (await readIdentityRecord(profile.store)) ?? {
    displayName: '',
    createdAt: now(),
  }
  let displayName = record.displayName
  const vault = new Vault(profile.store, profile.secrets.storageKey)
  const prekeys = await openPrekeys(ctx, profile, identity)
  const privateKey = privateKeyFromProtobuf(profile.secrets.libp2pPrivateKey)
  const peerId = peerIdFromPrivateKey(privateKey)
  // this identity's device list: a new version only when this device is new on it (a restored
  // profile) or the identity key was rotated (devices/own-device-list.ts)
  const ownList: { current: OwnDeviceList } = {
    current: await ensureOwnDeviceList({
      suite,
      store: profile.store,
      identity,
      userId,
      succession,
      devicePeerId: peerId.toMultihash().bytes,
      deviceKey: deviceKey.publicKey,
      identityCreatedAt: record.createdAt,
      now: now(),
    }),
  }

  // ---- what this device says about itself; the bundle names the mailboxes built below (it is
  // signed only once they exist: nothing is published or served before `ready`)
  const own = new OwnRecords({
    suite,
    keys,
    peerId,
    certificate: ownList.current.certificate,
    prekeys,
    createdAt: record.createdAt,
    mailboxHints: () => mailboxes?.hints() ?? [],
    now,
  })
  let ready = false

  // ---- the libp2p host, with the bundle publisher
  const libp2p = await createWrenHost({
    privateKey,
    ...(options.listen ? { listen: options.listen } : {}),
    bootstrap: [...(options.bootstrap ?? []), ...relays],
    records: userRecordRules(suite, now),
    extraServices: {
      publisher: bundlePublisher({
        // a bundle without the mailboxes would send contacts nowhere while this device is offline
        currentRecord: async () => (ready ? { userId, bundle: own.bundle() } : undefined),
        retryMs: BUNDLE_PUBLISH_RETRY_MS,
      }),
      // the device list, kept in the DHTs on the bundle's schedule (issue 18)
      devicePublisher: bundlePublisher({
        currentRecord: async () => ({ userId, bundle: ownList.current.bytes }),
        retryMs: BUNDLE_PUBLISH_RETRY_MS,
        put: (dht, rec, opts) => putDeviceListRecord(dht, rec.userId, rec.bundle, opts),
      }),
    },
    ...(options.mdns !== undefined ? { mdns: options.mdns } : {}),
    ...(options.dhtClientMode !== undefined ? { dht: { clientMode: options.dhtClientMode } } : {}),
    ...(options.transports !== undefined ? { transports: options.transports } : {}),
    ...(options.connectionGater !== undefined ? { connectionGater: options.connectionGater } : {}),
    ...(options.crowd !== undefined ? { crowd: options.crowd } : {}),
  })
  const republish = (): void => {
    own.invalidateBundle()
    void libp2p.services.publisher.publish()
  }

  // ---- relay mailboxes (when relays are configured); fetched envelopes go to the messenger
  const mailboxes =
    relays.length === 0
      ? null
      : new Mailboxes({
          suite,
          store: profile.store,
          libp2p,
          relays,
          ...(options.mailboxCount !== undefined ? { count: options.mailboxCount } : {}),
          ...(options.mailboxFetchIntervalMs !== undefined
            ? { fetchIntervalMs: options.mailboxFetchIntervalMs }
            : {}),
          prekeys,
          log: log.child('node:mailbox'),
          now,
          deliver: (envelopes) => messenger.deliverFetched(envelopes),
          onChange: republish,
        })

  // ---- messaging and groups
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
    mailboxes,
    verifyBundle: (bytes, forUser) => checkBundleRecord(suite, forUser, bytes, now()),
    currentBundle: () => own.bundle(),
    onContactLookedUp: (id) => void devices.contacts.refresh(id),
    // a new contact (contacts.add, or a group member's card) gets our profile picture
    onContactAdded: (id) => void pictures.contactAdded(id, messenger),
    onDeviceListStale: (id) => listRefresh.sessionError(id),
    ownDeviceList: () => ownList.current.list,
    notify: messagingNotify(ctx.notify),
    now,
    log,
    ...(options.retryBaseMs !== undefined ? { retryBaseMs: options.retryBaseMs } : {}),
    ...(options.retryMaxMs !== undefined ? { retryMaxMs: options.retryMaxMs } : {}),
  })
  const card = (): string => own.card(libp2p.getMultiaddrs(), displayName)
  const devices = runtimeDevices(
    {
      suite,
      store: profile.store,
      libp2p,
      own: ownList,
      republish: async () => void (await libp2p.services.devicePublisher.publish()),
      getContact: (id) => vault.getContact(id),
      identity,
      tellRevoked: async (devicePeerId, bytes) => (await tellRevoked(libp2p, devicePeerId, bytes)).ok,
      listContacts: () => vault.listContacts(),
      log: ctx.log.child('node:devices'),
      now,
    },
    messenger,
  )
  devices.attach(messenger)
  // profile pictures register their app kind before the messenger starts delivering (node/src/avatar)
  const pictures = new ProfilePictures({
    ownUserId: formatUserId(userId),
    store: profile.store,
    blind: (id) => vault.blind(id),
    listContacts: () => vault.listContacts(),
    onChange: (change) => ctx.notify('contact.picture', { ...change }),
    log: ctx.log.child('node:pictures'),
    now,
  })
  pictures.attach(messenger)
  // lists read back from the DHT: on a schedule and on session errors (issue 18)
  const listRefresh = new DeviceListRefresh({
    suite,
    libp2p,
    userId,
    deviceKey: deviceKey.publicKey,
    store: profile.store,
    own: ownList,
    contacts: devices.contacts,
    listContacts: () => vault.listContacts(),
    onRevoked: () => {
      log.warn('this device was revoked: locking')
      options.onRevoked?.()
    },
    log: ctx.log.child('node:devices'),
    now,
  })
  // groups register their app kinds before the messenger starts delivering (node/src/groups)
  const groups = await startGroups({
    suite,
    vault,
    identity,
    userId,
    succession,
    libp2p,
    messenger,
    card,
    notify: groupsNotify(ctx.notify),
    log: ctx.log.child('node:groups'),
  })
  // a contact's revoked device loses our group chains, a new one gets them (issue 18)
  devices.onContactDevicesChanged((id, change) => groups.service.memberDevicesChanged(id, change))
  // our own linked device gets our group chains, our own revoked one loses them
  devices.onOwnDevicesChanged((change, revoked) => groups.service.ownDevicesChanged(change, revoked))

  // calls register their app kind before the messenger starts delivering, too (node/src/calls)
  const turn = new TurnCredentials({ libp2p, relays, now, log: ctx.log.child('node:turn') })
  const calls = callService(
    options.callRingTimeoutMs !== undefined ? { ringTimeoutMs: options.callRingTimeoutMs } : {},
  )({
    suite,
    identityKey: identity.publicKey,
    userId: messenger.userId,
    pairwise: messenger,
    vault,
    notify: callsNotify(ctx.notify),
    now,
    log: ctx.log.child('node:calls'),
    onCallStarting: () => turn.prefetch(),
    channel: new CallStream({ libp2p, log: ctx.log.child('node:calls') }),
    devicePeerOf: devicePeerLookup({
      getContact: (id) => vault.getContact(id),
      sessionsOf: (id) => messenger.sessionsOf(id),
    }),
  })
  await calls.start()
  // files register their attachment handler before the messenger starts delivering (node/src/files)
  const files = new FileService({
    suite,
    store: profile.store,
    libp2p,
    messenger,
    getContact: (id) => vault.getContact(id),
    notify: filesNotify(ctx.notify),
    groups: {
      members: (groupId) => groups.service.otherMembers(groupId),
      send: (conversationId, caption, attachment) =>
        groups.service.messages.send(conversationId, caption, {}, attachment),
      registerAttachments: (handler) => groups.service.registerAttachments(handler),
    },
    log: ctx.log.child('node:files'),
    now,
    relays,
    ...(options.autoDownloadMaxBytes !== undefined
      ? { autoDownloadMaxBytes: options.autoDownloadMaxBytes }
      : {}),
  })

  // ---- search (follows every message write from here on) and typing/presence
  const search = new MessageSearch(profile.store)
  const device = (c: ContactRecord | undefined): ContactDevice | null =>
    c === undefined ? null : { userId: c.userId, identityKey: c.identityKey, devicePeerId: c.devicePeerId }
  const ephemeral = new EphemeralService({
    suite,
    identity,
    libp2p,
    store: profile.store,
    contactOfPeer: async (peerId) => {
      const user = messenger.userOfPeer(peerId)
      return user === undefined ? null : device(await vault.getContact(user))
    },
    contact: async (id) => device(await vault.getContact(id)),
    contacts: async () => (await vault.listContacts()).map((c) => device(c) as ContactDevice),
    groupMembers: (groupIdHex) => groups.service.otherMembers(groupIdHex),
    onTyping: (event) => ctx.notify('typing', { ...event }),
    onPresence: (state) => ctx.notify('contact.presence', { ...state }),
    now,
    log: ctx.log.child('node:presence'),
  })

  // ---- periodic work and reactions
  const maintenance = repeatingTask(async () => {
    if (await prekeys.maintain(now())) republish()
  }, PREKEY_MAINTENANCE_INTERVAL_MS)
  // disappearing messages: expired ones leave the store, their files too (messaging/disappearing.ts)
  const expirySweep = repeatingTask(async () => {
    const at = now()
    const expired = [...(await messenger.sweepExpired(at)), ...(await groups.service.sweepExpired(at))]
    for (const message of expired) if (message.attachment !== undefined) await files.erase(message.id)
  }, EXPIRY_SWEEP_INTERVAL_MS)
  // A DHT that did not take a record is retried by the publishers themselves, alone, on their
  // backoff and within BUNDLE_PUBLISH_RETRY_MS of a new connection (bundle-publisher.ts). This
  // runtime once also re-published to every DHT at each peer:identify while the first publish was
  // in flight or the last one had failed everywhere: every connection and identify-push was then a
  // DHT-wide put of the bundle and the device list, resetting the backoff
  // (test/dht-publish-pacing.test.ts).

  // ---- start, in order
  await serveRevocationNotices(
    libp2p,
    (bytes) => revokesDevice(suite, userId, ownList.current.list, deviceKey.publicKey, bytes),
    () => {
      log.warn('this device was revoked: locking')
      options.onRevoked?.()
    },
  )
  await messenger.start()
  await ephemeral.start()
  await files.start()
  await mailboxes?.start()
  ready = true
  republish()
  listRefresh.start()
  await devices.pushIfNewer(messenger)
  maintenance.start()
  expirySweep.start()

  const reportSources = {
    libp2p,
    relays,
    mailboxRelays: () => (mailboxes?.hints() ?? []).map((h) => peerIdFromBytes(h.relayPeerId).toString()),
  }
  ctx.setNetworkStatus(() => networkStatusOf(reportSources, mailboxes?.hints().length ?? 0))
  log.info('node started', { peerId: libp2p.peerId.toString() })

  return {
    libp2p,
    messenger,
    groups: groups.service,
    calls,
    turn,
    files,
    search,
    ephemeral,
    devices,
    pictures,
    vault,
    identity,
    userId,
    displayName: () => displayName,
    setDisplayName: (name) => {
      displayName = name
    },
    network: { bootstrap: [...(options.bootstrap ?? [])], relays: [...relays] },
    card,
    doctor: () =>
      runDoctor({
        ...reportSources,
        userId,
        mailboxesWanted: relays.length === 0 ? 0 : (options.mailboxCount ?? DEFAULT_MAILBOX_COUNT),
        mailboxesHeld: () => mailboxes?.hints().length ?? 0,
      }),
    isOnline: (devicePeerId) => {
      try {
        return libp2p.getConnections(peerIdFromBytes(devicePeerId)).some((c) => c.status === 'open')
      } catch {
        return false
      }
    },
    // ---- stop, in reverse
    async stop() {
      maintenance.stop()
      expirySweep.stop()
      ctx.setNetworkStatus(null)
      listRefresh.stop()
      devices.contacts.stop()
      await calls.stop()
      await groups.stop()
      await mailboxes?.stop()
      await files.stop()
      await ephemeral.stop()
      await messenger.stop()
      await libp2p.stop()
      search.stop()
    },
  }
}

/** The prekey manager; one-time prekeys live in the profile store (older profiles had them in the keystore). */
async function openPrekeys(
  ctx: HostContext,
  profile: UnlockedProfile,
  identity: IdentityKeyPair,
): Promise<PrekeyManager> {
  const persistLongTerm = async (next: readonly PrekeySecret[]) => {
    const current = ctx.session.requireUnlocked().secrets
    await ctx.session.updateSecrets({ ...current, prekeys: [...next] })
  }
  const migrated = await migrateOneTimePrekeys(profile.store, profile.secrets.prekeys, Date.now())
  if (migrated.moved > 0) await persistLongTerm(migrated.longTerm)
  const prekeys = await PrekeyManager.open({
    suite: ctx.suite,
    identity,
    longTerm: migrated.longTerm,
    persistLongTerm,
    oneTimeStore: new SealedOneTimePrekeyStore(profile.store),
  })
  await prekeys.maintain(Date.now())
  return prekeys
}
