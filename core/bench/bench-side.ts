/**
 * What each side of the crypto benchmark (Wren, libsignal) provides. Every case factory does its
 * setup outside the timed region and returns an operation; one call of the operation is one unit
 * of the row (one session setup, one message encrypted and decrypted, one safety number).
 * Operations may be synchronous (Wren) or return a promise (libsignal's Node API is async).
 */

export type BenchOp = () => unknown

/** Inputs for the safety-number row, shared by both sides so they hash the same bytes. */
export interface SafetyNumberInput {
  readonly localId: Uint8Array
  /** Ed25519 identity public key (Wren's form; Wren maps it to X25519 itself). */
  readonly localIdentityKey: Uint8Array
  /** 0x05 ‖ X25519 form of localIdentityKey (libsignal's encoding). */
  readonly localKey33: Uint8Array
  readonly remoteId: Uint8Array
  readonly remoteIdentityKey: Uint8Array
  readonly remoteKey33: Uint8Array
}

export interface RatchetCase {
  /** Plaintext size in bytes. */
  readonly size: number
  /** true: directions alternate every message (a DH ratchet step each time); false: A → B only. */
  readonly alternate: boolean
}

export interface BenchSide {
  readonly name: string
  /** One full session setup per call: bundle → initiate → respond → first reply. */
  sessionSetup(): Promise<BenchOp>
  /** An established session (first reply already received); one call = one message A→B or B→A. */
  ratchet(c: RatchetCase): Promise<BenchOp>
  /** A sender key distributed to one receiver; one call = one message encrypted and decrypted. */
  group(size: number): Promise<BenchOp>
  /** One call = one 60-digit safety number for the given pair. */
  safetyNumber(input: SafetyNumberInput): Promise<BenchOp>
}
