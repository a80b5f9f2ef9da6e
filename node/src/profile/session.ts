/**
 * The unlocked state of a profile: the opened keystore and the sealed store. Locked = neither is
 * open. Handlers and the node reach keys only through requireUnlocked(), which throws
 * ProfileLockedError / NoIdentityError (RPC codes LOCKED / NO_IDENTITY, rpc/error-map.ts), so a
 * locked profile never gets further than that call. The daemon holds one per process.
 */
import { access, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { WrongPassphraseError } from '../storage/errors.ts'
import {
  closeKeystore,
  createKeystore,
  DEFAULT_KDF_PARAMS,
  type KdfParams,
  type KeystoreSecrets,
  type OpenedKeystore,
  openKeystore,
  updateKeystore,
} from '../storage/keystore.ts'
import { fileChunksDir } from '../storage/layout.ts'
import { SealedStore } from '../storage/sealed-store.ts'
import { IdentityExistsError, NoIdentityError, ProfileLockedError, ProfileWipedError } from './errors.ts'
import { LOCK_POLICY_FILE, readLockPolicy } from './lock-policy.ts'
import type { ProfilePaths } from './profile.ts'
import { UnlockGuard } from './unlock-guard.ts'

export interface UnlockedProfile {
  readonly keystore: OpenedKeystore
  readonly secrets: KeystoreSecrets
  readonly store: SealedStore
  /** libp2p PeerId (string form) of this device, from the keystore's libp2p key. */
  readonly peerId: string
}

export type UnlockListener = (profile: UnlockedProfile) => void | Promise<void>
/** Run before a wipe destroys the profile's files: whatever uses the store stops here. */
export type WipeListener = () => void | Promise<void>

export class ProfileSession {
  readonly paths: ProfilePaths
  readonly #kdf: KdfParams
  #unlocked: UnlockedProfile | null = null
  #hasIdentity = false
  #busy: Promise<unknown> = Promise.resolve()
  readonly #listeners: UnlockListener[] = []
  readonly #wipeListeners: WipeListener[] = []

  private constructor(paths: ProfilePaths, kdf: KdfParams) {
    this.paths = paths
    this.#kdf = kdf
  }

  static async open(paths: ProfilePaths, kdf: KdfParams = DEFAULT_KDF_PARAMS): Promise<ProfileSession> {
    const session = new ProfileSession(paths, kdf)
    session.#hasIdentity = await access(paths.keystore).then(
      () => true,
      () => false,
    )
    return session
  }

  get hasIdentity(): boolean {
    return this.#hasIdentity
  }

  get unlocked(): UnlockedProfile | null {
    return this.#unlocked
  }

  /** The unlocked profile, or the error a client should see (NoIdentityError, ProfileLockedError). */
  requireUnlocked(): UnlockedProfile {
    if (this.#unlocked) return this.#unlocked
    if (!this.#hasIdentity) throw new NoIdentityError()
    throw new ProfileLockedError()
  }

  /** Run after every unlock (and after create): where the network and messaging layers start. */
  onUnlock(listener: UnlockListener): void {
    this.#listeners.push(listener)
  }

  /** Run before an opt-in wipe (lock-policy.ts) removes the keystore and the store. */
  onWipe(listener: WipeListener): void {
    this.#wipeListeners.push(listener)
  }

  /** Serialise create/unlock/update so two clients cannot race them. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#busy.then(fn, fn)
    this.#busy = run.catch(() => {})
    return run
  }

  /** Seal new secrets with the passphrase and open the profile. IdentityExistsError if there is a keystore. */
  create(passphrase: string, secrets: KeystoreSecrets, init: (store: SealedStore) => Promise<void>) {
    return this.#exclusive(async () => {
      if (this.#hasIdentity) throw new IdentityExistsError()
      const keystore = await createKeystore(this.paths.keystore, passphrase, secrets, this.#kdf)
      this.#hasIdentity = true
      const store = await SealedStore.open(this.paths.db, secrets.storageKey)
      await init(store)
      return this.#become(keystore, store)
    })
  }

  /** Open the keystore with the passphrase: NoIdentityError, or the keystore's WrongPassphraseError. */
  unlock(passphrase: string): Promise<UnlockedProfile> {
    return this.#exclusive(async () => {
      if (!this.#hasIdentity) throw new NoIdentityError()
      const guard = new UnlockGuard(this.paths)
      await guard.check()
      let keystore: OpenedKeystore
      try {
        keystore = await openKeystore(this.paths.keystore, passphrase)
      } catch (error) {
        if (error instanceof WrongPassphraseError) {
          const failures = await guard.failed()
          const { wipeAfterFailures } = await readLockPolicy(this.paths)
          if (wipeAfterFailures !== null && failures >= wipeAfterFailures) {
            await this.#wipe()
            throw new ProfileWipedError(failures)
          }
        }
        throw error
      }
      await guard.succeeded()
      if (this.#unlocked) {
        closeKeystore(keystore) // already open: the passphrase was checked, keep the live state
        return this.#unlocked
      }
      const store = await SealedStore.open(this.paths.db, keystore.secrets.storageKey)
      return this.#become(keystore, store)
    })
  }

  /** Re-seal changed secrets (e.g. rotated prekeys) without the passphrase. */
  updateSecrets(secrets: KeystoreSecrets): Promise<void> {
    return this.#exclusive(async () => {
      const current = this.requireUnlocked()
      const keystore = await updateKeystore(current.keystore, secrets)
      this.#unlocked = { ...current, keystore, secrets }
    })
  }

  async #become(keystore: OpenedKeystore, store: SealedStore): Promise<UnlockedProfile> {
    const peerId = peerIdFromPrivateKey(privateKeyFromProtobuf(keystore.secrets.libp2pPrivateKey)).toString()
    const unlocked: UnlockedProfile = { keystore, secrets: keystore.secrets, store, peerId }
    this.#unlocked = unlocked
    for (const listener of this.#listeners) await listener(unlocked)
    return unlocked
  }

  /**
   * Destroy the profile's identity: whatever runs on the store stops, the store closes, and the
   * keystore, the sealed store, the failure count and the lock policy are removed (the profile
   * starts over as new). Runs inside the exclusive section of the unlock that triggered it.
   */
  async #wipe(): Promise<void> {
    for (const listener of this.#wipeListeners) await listener()
    const current = this.#unlocked
    this.#unlocked = null
    if (current) {
      await current.store.close()
      closeKeystore(current.keystore)
    }
    await rm(this.paths.keystore, { force: true })
    await rm(this.paths.db, { recursive: true, force: true })
    await rm(fileChunksDir(this.paths.db), { recursive: true, force: true })
    await rm(join(this.paths.dir, LOCK_POLICY_FILE), { force: true })
    await new UnlockGuard(this.paths).succeeded()
    this.#hasIdentity = false
  }

  /** Lock: close the store and drop the cached key. */
  async close(): Promise<void> {
    await this.#exclusive(async () => {
      const current = this.#unlocked
      this.#unlocked = null
      if (!current) return
      await current.store.close()
      closeKeystore(current.keystore)
    })
  }
}
