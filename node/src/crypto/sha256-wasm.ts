/**
 * SHA-256 compression in WebAssembly, for HMAC-SHA256 and HKDF over short inputs (chain keys,
 * message-key derivation): each node:crypto one-shot hash costs ~1.2 µs here, mostly the
 * JS ↔ native crossing, and an HMAC takes two of them; the same four 64-byte compressions run in
 * well under a microsecond inside one WebAssembly module. Long inputs stay on node:crypto, whose
 * SHA-256 (SHA-NI) is much faster per byte once the crossing is paid (see hmac-sha256.ts).
 *
 * SHA-256 per FIPS 180-4: functions §4.1.2, constants §4.2.2 and initial hash value §5.3.3
 * (sha2-constants.ts derives them), padding §5.1.1, computation §6.2.2. HMAC per RFC 2104.
 * node/test/crypto-differential.test.ts compares every output with noble's.
 */
import { sha2Constants } from './sha2-constants.ts'
import { CodeWriter, emitModule, I32, op } from './wasm-emit.ts'

const BLOCK_BYTES = 64
const DIGEST_BYTES = 32
const ROUNDS = 64
const WORDS = 8
/** Padding adds a 0x80 byte and a 64-bit length (FIPS 180-4 §5.1.1). */
const PADDING_MIN_BYTES = 1 + 8
/**
 * Largest HMAC message (bytes) this path takes: the crossing dominates below a few hundred
 * bytes, node:crypto's SHA-NI above (measured with npm run bench:primitives on this machine).
 */
export const WASM_HMAC_MAX_DATA_BYTES = 256
/**
 * Longest HKDF output (bytes) derived here (1 + ⌈L/32⌉ HMACs) rather than by one hkdfSync call:
 * up to here the HMACs cost less than hkdfSync's crossing and key object.
 */
const WASM_HKDF_MAX_OUTPUT_BYTES = 128
/**
 * Memory layout: state words (little-endian numbers) at 0, the digest bytes after each call at
 * 32, then the blocks to compress (message + padding; the key block is in the pad states).
 */
const STATE_OFFSET = 0
const DIGEST_OFFSET = 32
const INPUT_OFFSET = 64
const IPAD = 0x36
const OPAD = 0x5c

/** compress(blocks): state ← SHA-256 compression of `blocks` 64-byte blocks at INPUT_OFFSET. */
function buildModule(): Uint8Array {
  const { k } = sha2Constants(32, ROUNDS)
  const code = new CodeWriter()
  const blocks = 0
  const ptr = 1
  const h = Array.from({ length: WORDS }, (_, i) => 2 + i)
  const v = Array.from({ length: WORDS }, (_, i) => 2 + WORDS + i)
  const w = Array.from({ length: 16 }, (_, i) => 2 + 2 * WORDS + i)
  const t1 = 2 + 2 * WORDS + 16
  const signed = (x: bigint) => Number(BigInt.asIntN(32, x))

  const sigma = (local: number, a: number, b: number, c: number, shift: boolean) => {
    code.get(local).i32(a).op(op.i32Rotr)
    code.get(local).i32(b).op(op.i32Rotr).op(op.i32Xor)
    code
      .get(local)
      .i32(c)
      .op(shift ? op.i32ShrU : op.i32Rotr)
      .op(op.i32Xor)
  }
  const add = () => code.op(op.i32Add)
  /** Pushes the byte-swapped value of a local (WebAssembly has no bswap instruction). */
  const bswap = (local: number) =>
    code
      .get(local)
      .i32(0x00ff00ff)
      .op(op.i32And)
      .i32(8)
      .op(op.i32Rotr)
      .get(local)
      .i32(signed(0xff00ff00n))
      .op(op.i32And)
      .i32(8)
      .op(op.i32Rotl)
      .op(op.i32Or)

  for (let i = 0; i < WORDS; i++)
    code
      .i32(0)
      .memory(op.i32Load, 2, STATE_OFFSET + 4 * i)
      .set(h[i] as number)
  code.i32(INPUT_OFFSET).set(ptr)
  code.op(op.block, op.emptyBlock)
  code.get(blocks).op(op.i32Eqz).op(op.brIf, 0)
  code.op(op.loop, op.emptyBlock)
  for (let i = 0; i < 16; i++) {
    // big-endian word: byte-swap the little-endian load (no bswap instruction in WebAssembly)
    code
      .get(ptr)
      .memory(op.i32Load, 2, 4 * i)
      .set(t1)
    code.get(t1).i32(0x00ff00ff).op(op.i32And).i32(8).op(op.i32Rotr)
    code.get(t1).i32(signed(0xff00ff00n)).op(op.i32And).i32(8).op(op.i32Rotl)
    code.op(op.i32Or).set(w[i] as number)
  }
  for (let i = 0; i < WORDS; i++) code.get(h[i] as number).set(v[i] as number)
  let s = v.slice()
  for (let t = 0; t < ROUNDS; t++) {
    const wt = w[t % 16] as number
    if (t >= 16) {
      code.get(wt)
      sigma(w[(t - 15) % 16] as number, 7, 18, 3, true)
      add()
      code.get(w[(t - 7) % 16] as number)
      add()
      sigma(w[(t - 2) % 16] as number, 17, 19, 10, true)
      add()
      code.set(wt)
    }
    const [a, b, c, d, e, f, g, hh] = s as [number, number, number, number, number, number, number, number]
    // T1 = h + Σ1(e) + Ch(e, f, g) + K_t + W_t; Ch = g ^ (e & (f ^ g))
    code.get(hh)
    sigma(e, 6, 11, 25, false)
    add()
    code.get(g).get(e).get(f).get(g).op(op.i32Xor).op(op.i32And).op(op.i32Xor)
    add()
    code.i32(signed(k[t] as bigint))
    add()
    code.get(wt)
    add()
    code.set(t1)
    code.get(d).get(t1)
    add()
    code.set(d)
    // h ← T1 + Σ0(a) + Maj(a, b, c); Maj = (a & b) | (c & (a | b))
    code.get(t1)
    sigma(a, 2, 13, 22, false)
    add()
    code.get(a).get(b).op(op.i32And).get(c).get(a).get(b).op(op.i32Or).op(op.i32And).op(op.i32Or)
    add()
    code.set(hh)
    s = [hh, a, b, c, d, e, f, g]
  }
  // 64 renamings are eight full turns: s is back in order.
  for (let i = 0; i < WORDS; i++) {
    code.get(h[i] as number).get(s[i] as number)
    add()
    code.set(h[i] as number)
  }
  code.get(ptr).i32(BLOCK_BYTES).op(op.i32Add).set(ptr)
  code.get(blocks).i32(1).op(op.i32Sub).tee(blocks).op(op.brIf, 0)
  code.op(op.end)
  code.op(op.end)
  for (let i = 0; i < WORDS; i++) {
    code
      .i32(0)
      .get(h[i] as number)
      .memory(op.i32Store, 2, STATE_OFFSET + 4 * i)
    // and the digest bytes (big-endian words), ready to copy out or to hash again
    code.i32(0)
    bswap(h[i] as number)
    code.memory(op.i32Store, 2, DIGEST_OFFSET + 4 * i)
  }
  return emitModule(
    { exportName: 'compress', params: [I32], locals: [[1 + 2 * WORDS + 16 + 1, I32]], code },
    'memory',
    1,
  )
}

/**
 * Keys whose HMAC pad states are kept (round robin): a chain key is used twice in a row (message
 * seed, next chain key), and an HKDF uses its PRK once per output block. The states are key
 * equivalents; few are kept, as the suite's KeyObject caches keep keys.
 */
const MIDSTATE_SLOTS = 8
/** Per slot: the state after the key ⊕ ipad block, then after the key ⊕ opad block (8 words each). */
const SLOT_BYTES = 2 * DIGEST_BYTES
const SLOTS_OFFSET = 1024
/** The pad states of the PRK of the HKDF under way. */
const PRK_SLOT_OFFSET = SLOTS_OFFSET + MIDSTATE_SLOTS * SLOT_BYTES

interface Instance {
  readonly compress: (blocks: number) => void
  readonly bytes: Uint8Array
  readonly words: DataView
  readonly iv: readonly number[]
  /** The key (≤ 64 bytes, a copy) whose pad states slot i holds. */
  readonly keys: (Uint8Array | undefined)[]
  next: number
}

let instance: Instance | undefined

function load(): Instance {
  if (instance === undefined) {
    const exports = new WebAssembly.Instance(new WebAssembly.Module(buildModule() as BufferSource)).exports
    const buffer = (exports.memory as WebAssembly.Memory).buffer
    instance = {
      compress: exports.compress as (blocks: number) => void,
      bytes: new Uint8Array(buffer),
      words: new DataView(buffer),
      iv: sha2Constants(32, ROUNDS).iv.map(Number),
      keys: new Array(MIDSTATE_SLOTS).fill(undefined),
      next: 0,
    }
  }
  return instance
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Writes `key`'s inner and outer pad states (states after key ⊕ ipad, key ⊕ opad) at `at`. */
function computePadStates(m: Instance, key: Uint8Array, at: number): void {
  for (const [pad, offset] of [
    [IPAD, 0],
    [OPAD, DIGEST_BYTES],
  ] as const) {
    for (let i = 0; i < BLOCK_BYTES; i++)
      m.bytes[INPUT_OFFSET + i] = (i < key.length ? (key[i] as number) : 0) ^ pad
    for (let i = 0; i < WORDS; i++) m.words.setUint32(STATE_OFFSET + 4 * i, m.iv[i] as number, true)
    m.compress(1)
    m.bytes.copyWithin(at + offset, STATE_OFFSET, STATE_OFFSET + DIGEST_BYTES)
  }
}

/** Offset of the slot holding `key`'s pad states (computed into the next slot on a miss). */
function padStates(m: Instance, key: Uint8Array): number {
  for (let i = 0; i < MIDSTATE_SLOTS; i++) {
    const cached = m.keys[i]
    if (cached !== undefined && sameBytes(cached, key)) return SLOTS_OFFSET + i * SLOT_BYTES
  }
  const slot = m.next
  m.next = (slot + 1) % MIDSTATE_SLOTS
  const at = SLOTS_OFFSET + slot * SLOT_BYTES
  computePadStates(m, key, at)
  m.keys[slot] = key.slice()
  return at
}

/**
 * From the pad state at `state`, hashes the `length` message bytes at INPUT_OFFSET (after the
 * 64-byte key block already absorbed): pads, compresses; the digest is at DIGEST_OFFSET.
 */
function finish(m: Instance, state: number, length: number): void {
  const { bytes, words } = m
  const blocks = Math.ceil((length + PADDING_MIN_BYTES) / BLOCK_BYTES)
  const end = INPUT_OFFSET + blocks * BLOCK_BYTES
  bytes[INPUT_OFFSET + length] = 0x80
  bytes.fill(0, INPUT_OFFSET + length + 1, end - 4)
  words.setUint32(end - 4, (BLOCK_BYTES + length) * 8, false)
  bytes.copyWithin(STATE_OFFSET, state, state + DIGEST_BYTES)
  m.compress(blocks)
}

/** HMAC of the `length` bytes at INPUT_OFFSET with the pad states at `slot`; digest at DIGEST_OFFSET. */
function hmacAt(m: Instance, slot: number, length: number): void {
  finish(m, slot, length)
  m.bytes.copyWithin(INPUT_OFFSET, DIGEST_OFFSET, DIGEST_OFFSET + DIGEST_BYTES) // inner digest → outer message
  finish(m, slot + DIGEST_BYTES, DIGEST_BYTES)
}

/** HMAC-SHA256 with a key of at most 64 bytes and at most WASM_HMAC_MAX_DATA_BYTES of data. */
export function hmacSha256Wasm(key: Uint8Array, data: Uint8Array): Uint8Array {
  if (key.length > BLOCK_BYTES || data.length > WASM_HMAC_MAX_DATA_BYTES)
    throw new RangeError('key or data too long for the WebAssembly HMAC')
  const m = load()
  const slot = padStates(m, key)
  m.bytes.set(data, INPUT_OFFSET)
  hmacAt(m, slot, data.length)
  const out = m.bytes.slice(DIGEST_OFFSET, DIGEST_OFFSET + DIGEST_BYTES)
  wipeWork(m)
  return out
}

/**
 * Zeroes the state, digest and message area (inputs and outputs may be keys); only the pad
 * states of the kept keys stay, as the suite's KeyObject caches keep keys.
 */
function wipeWork(m: Instance): void {
  m.bytes.fill(0, STATE_OFFSET, INPUT_OFFSET + WASM_HMAC_MAX_DATA_BYTES + BLOCK_BYTES)
}

/** RFC 5869 §2.2: an absent salt is HashLen zero bytes. */
const ZERO_SALT = new Uint8Array(DIGEST_BYTES)

/** Does HKDF with these sizes fit hkdfSha256Wasm (every HMAC message ≤ WASM_HMAC_MAX_DATA_BYTES)? */
export function fitsWasmHkdf(
  ikmBytes: number,
  saltBytes: number,
  infoBytes: number,
  length: number,
): boolean {
  return (
    length <= WASM_HKDF_MAX_OUTPUT_BYTES &&
    ikmBytes <= WASM_HMAC_MAX_DATA_BYTES &&
    saltBytes <= BLOCK_BYTES &&
    DIGEST_BYTES + infoBytes + 1 <= WASM_HMAC_MAX_DATA_BYTES
  )
}

/**
 * HKDF-SHA256 (RFC 5869) inside the module's memory: extract with the salt's kept pad states
 * (the absent salt's are kept like any key), then the PRK's pad states once for all output
 * blocks (not kept: a PRK serves one derivation). RangeError unless fitsWasmHkdf.
 */
export function hkdfSha256Wasm(
  ikm: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  length: number,
): Uint8Array {
  if (
    !Number.isSafeInteger(length) ||
    length < 0 ||
    !fitsWasmHkdf(ikm.length, salt.length, info.length, length)
  )
    throw new RangeError('input or output too long for the WebAssembly HKDF')
  const m = load()
  const { bytes } = m
  // Extract (§2.2): PRK = HMAC(salt, IKM)
  const saltSlot = padStates(m, salt.length > 0 ? salt : ZERO_SALT)
  bytes.set(ikm, INPUT_OFFSET)
  hmacAt(m, saltSlot, ikm.length)
  computePadStates(m, bytes.slice(DIGEST_OFFSET, DIGEST_OFFSET + DIGEST_BYTES), PRK_SLOT_OFFSET)
  // Expand (§2.3): T(i) = HMAC(PRK, T(i−1) ‖ info ‖ i), T(0) empty
  const out = new Uint8Array(length)
  let previous = 0
  for (let offset = 0, counter = 1; offset < length; offset += DIGEST_BYTES, counter++) {
    if (previous > 0) bytes.copyWithin(INPUT_OFFSET, DIGEST_OFFSET, DIGEST_OFFSET + DIGEST_BYTES)
    bytes.set(info, INPUT_OFFSET + previous)
    bytes[INPUT_OFFSET + previous + info.length] = counter
    hmacAt(m, PRK_SLOT_OFFSET, previous + info.length + 1)
    out.set(bytes.subarray(DIGEST_OFFSET, DIGEST_OFFSET + Math.min(DIGEST_BYTES, length - offset)), offset)
    previous = DIGEST_BYTES
  }
  wipeWork(m)
  m.bytes.fill(0, PRK_SLOT_OFFSET, PRK_SLOT_OFFSET + SLOT_BYTES)
  return out
}
