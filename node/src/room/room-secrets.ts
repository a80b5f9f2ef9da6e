/**
 * What a room code becomes: one Argon2id (node:crypto) of the normalised code, then HKDF into
 * two independent values — the rendezvous key (public: the DHT provider key both sides look up)
 * and the CPace password-related string PRS (never leaves this process). Knowing the rendezvous
 * key lets one test guesses at the code offline at Argon2id's cost, nothing more; the PAKE
 * makes each online guess cost a session.
 */
import { argon2, hkdfSync } from 'node:crypto'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { ROOM_HASH_MEMORY_KIB, ROOM_HASH_PARALLELISM, ROOM_HASH_PASSES, ROOM_HASH_SALT } from './constants.ts'

export interface RoomSecrets {
  /** The DHT provider key of the room (sha2-256 of the rendezvous key, CIDv1 raw). */
  readonly rendezvous: CID
  /** CPace PRS, 32 bytes; wipe it when the room ends. */
  readonly prs: Uint8Array
}

/** `code` must be normalised already (core/src/room/code.ts normalizeRoomCode). */
export async function deriveRoomSecrets(code: string): Promise<RoomSecrets> {
  const master = await new Promise<Uint8Array>((resolve, reject) => {
    argon2(
      'argon2id',
      {
        message: code,
        nonce: ROOM_HASH_SALT,
        parallelism: ROOM_HASH_PARALLELISM,
        tagLength: 32,
        memory: ROOM_HASH_MEMORY_KIB,
        passes: ROOM_HASH_PASSES,
      },
      (error, key) => (error ? reject(error) : resolve(new Uint8Array(key))),
    )
  })
  const split = (label: string) => new Uint8Array(hkdfSync('sha256', master, new Uint8Array(0), label, 32))
  const rendezvousKey = split('wren/room/v1/rendezvous')
  const prs = split('wren/room/v1/cpace-prs')
  master.fill(0)
  const rendezvous = CID.createV1(raw.code, await sha256.digest(rendezvousKey))
  return { rendezvous, prs }
}
