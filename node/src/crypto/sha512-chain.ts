/**
 * Iterated SHA-512 in WebAssembly, two chains at once: H ← SHA-512(H ‖ suffix), again and again,
 * the loop safety numbers run 5,199 times per party. Each call of node:crypto's one-shot hash
 * costs ~1.4 µs here, mostly the JS ↔ native crossing for a one-block message; this loop stays
 * inside one WebAssembly call and hashes the two parties' chains side by side in the two 64-bit
 * lanes of 128-bit SIMD registers (i64x2), so each compression serves both.
 *
 * Only single-block rounds: H (64 bytes) ‖ suffix ‖ padding must fit one 128-byte block, so
 * suffix ≤ SHA512_CHAIN_MAX_SUFFIX_BYTES; the caller falls back to one-shot hashes otherwise.
 * Since the digest is the big-endian state words and message words are read big-endian, the
 * state words of one round are the first eight message words of the next: no byte swapping
 * inside the loop. The suffix and padding (words 8‥15) are the same every round.
 *
 * SHA-512 per FIPS 180-4: functions §4.1.3, constants §4.2.3 and initial hash value §5.3.5
 * (sha2-constants.ts derives them), padding §5.1.2, computation §6.4.2.
 * The node/test crypto tests compare every output with node:crypto's and noble's SHA-512.
 */
import { hash } from 'node:crypto'
import { checkIterations, sha512Chain } from '../../../core/src/crypto/sha512-iterate.ts'
import { MAX_SHA512_ITERATIONS, type Sha512Chain } from '../../../core/src/crypto/suite.ts'
import { sha2Constants } from './sha2-constants.ts'
import { CodeWriter, emitModule, I32, op, simd, V128 } from './wasm-emit.ts'

const SHA512_BLOCK_BYTES = 128
const SHA512_DIGEST_BYTES = 64
/** Padding adds a 0x80 byte and a 128-bit length (FIPS 180-4 §5.1.2). */
const PADDING_MIN_BYTES = 1 + 16
/** Largest suffix whose round message H ‖ suffix still pads into one block (bytes). */
export const SHA512_CHAIN_MAX_SUFFIX_BYTES = SHA512_BLOCK_BYTES - SHA512_DIGEST_BYTES - PADDING_MIN_BYTES
/** Chains hashed together by one call: the two 64-bit lanes of a v128. */
export const SHA512_CHAIN_LANES = 2

const WORDS = 8
const ROUNDS = 80
/** Memory layout: the eight state words (v128 each: lane 0, lane 1), then message words 8‥15. */
const STATE_OFFSET = 0
const TAIL_OFFSET = WORDS * 16

/** run(rounds): `rounds` times, state ← SHA-512(state words ‖ tail words) in both lanes. */
function buildModule(): Uint8Array {
  const { k, iv } = sha2Constants(64, ROUNDS)
  const code = new CodeWriter()
  const rounds = 0
  const h = Array.from({ length: WORDS }, (_, i) => 1 + i)
  const v = Array.from({ length: WORDS }, (_, i) => 1 + WORDS + i)
  const w = Array.from({ length: 16 }, (_, i) => 1 + 2 * WORDS + i)
  const t1 = 1 + 2 * WORDS + 16

  const rotr = (local: number, n: number) =>
    code
      .get(local)
      .i32(n)
      .simd(simd.i64x2ShrU)
      .get(local)
      .i32(64 - n)
      .simd(simd.i64x2Shl)
      .simd(simd.v128Xor)
  /** Pushes rotr(x, a) ^ rotr(x, b) ^ (shift ? x >>> c : rotr(x, c)). */
  const sigma = (local: number, a: number, b: number, c: number, shift: boolean) => {
    rotr(local, a)
    rotr(local, b).simd(simd.v128Xor)
    if (shift) code.get(local).i32(c).simd(simd.i64x2ShrU)
    else rotr(local, c)
    code.simd(simd.v128Xor)
  }
  const add = () => code.simd(simd.i64x2Add)

  for (let i = 0; i < WORDS; i++) code.load(STATE_OFFSET + 16 * i).set(h[i] as number)
  code.op(op.block, op.emptyBlock)
  code.get(rounds).op(op.i32Eqz).op(op.brIf, 0) // rounds == 0 → done
  code.op(op.loop, op.emptyBlock)
  for (let i = 0; i < WORDS; i++) code.get(h[i] as number).set(w[i] as number)
  for (let i = WORDS; i < 16; i++) code.load(TAIL_OFFSET + 16 * (i - WORDS)).set(w[i] as number)
  for (let i = 0; i < WORDS; i++) code.i64x2Const(iv[i] as bigint, iv[i] as bigint).set(v[i] as number)
  let s = v.slice() // a b c d e f g h → locals, renamed each round instead of moved
  for (let t = 0; t < ROUNDS; t++) {
    const wt = w[t % 16] as number
    if (t >= 16) {
      // W_t = σ1(W_t−2) + W_t−7 + σ0(W_t−15) + W_t−16
      code.get(wt)
      sigma(w[(t - 15) % 16] as number, 1, 8, 7, true)
      add()
      code.get(w[(t - 7) % 16] as number)
      add()
      sigma(w[(t - 2) % 16] as number, 19, 61, 6, true)
      add()
      code.set(wt)
    }
    const [a, b, c, d, e, f, g, hh] = s as [number, number, number, number, number, number, number, number]
    // T1 = h + Σ1(e) + Ch(e, f, g) + K_t + W_t; Ch = bitselect(f, g, e)
    code.get(hh)
    sigma(e, 14, 18, 41, false)
    add()
    code.get(f).get(g).get(e).simd(simd.v128Bitselect)
    add()
    code.i64x2Const(k[t] as bigint, k[t] as bigint)
    add()
    code.get(wt)
    add()
    code.set(t1)
    // d ← d + T1 (the next e)
    code.get(d).get(t1)
    add()
    code.set(d)
    // h ← T1 + Σ0(a) + Maj(a, b, c) (the next a); Maj = bitselect(c, a, a ^ b)
    code.get(t1)
    sigma(a, 28, 34, 39, false)
    add()
    code.get(c).get(a).get(a).get(b).simd(simd.v128Xor).simd(simd.v128Bitselect)
    add()
    code.set(hh)
    s = [hh, a, b, c, d, e, f, g]
  }
  // 80 renamings are ten full turns: s is back in order. H_i = IV_i + working variable i.
  for (let i = 0; i < WORDS; i++) {
    code.i64x2Const(iv[i] as bigint, iv[i] as bigint).get(s[i] as number)
    add()
    code.set(h[i] as number)
  }
  code.get(rounds).i32(1).op(op.i32Sub).tee(rounds).op(op.brIf, 0) // --rounds ≠ 0 → again
  code.op(op.end) // loop
  code.op(op.end) // block
  for (let i = 0; i < WORDS; i++)
    code
      .i32(0)
      .get(h[i] as number)
      .simdMemory(simd.v128Store, 4, STATE_OFFSET + 16 * i)
  return emitModule(
    { exportName: 'run', params: [I32], locals: [[2 * WORDS + 16 + 1, V128]], code },
    'memory',
    1,
  )
}

interface Instance {
  readonly run: (rounds: number) => void
  readonly memory: DataView
}

let instance: Instance | undefined

function load(): Instance {
  if (instance === undefined) {
    const exports = new WebAssembly.Instance(new WebAssembly.Module(buildModule() as BufferSource)).exports
    instance = {
      run: exports.run as (rounds: number) => void,
      memory: new DataView((exports.memory as WebAssembly.Memory).buffer),
    }
  }
  return instance
}

/** Big-endian 64-bit word `word` of `bytes` into lane `lane` of the v128 at `offset`. */
function putWord(memory: DataView, offset: number, lane: number, bytes: Uint8Array, word: number): void {
  const src = new DataView(bytes.buffer, bytes.byteOffset + 8 * word, 8)
  const at = offset + 16 * word + 8 * lane
  memory.setUint32(at, src.getUint32(4, false), true)
  memory.setUint32(at + 4, src.getUint32(0, false), true)
}

/** The constant second half of each round's block: suffix ‖ 0x80 ‖ zeros ‖ length in bits. */
function tailBlock(suffix: Uint8Array): Uint8Array {
  const tail = new Uint8Array(SHA512_BLOCK_BYTES - SHA512_DIGEST_BYTES)
  tail.set(suffix, 0)
  tail[suffix.length] = 0x80
  const bits = (SHA512_DIGEST_BYTES + suffix.length) * 8
  new DataView(tail.buffer).setUint32(tail.length - 4, bits, false)
  return tail
}

/**
 * For up to two chains, `rounds` more times H ← SHA-512(H ‖ suffix), from their 64-byte
 * `start` digests; returns the final digests. Each suffix ≤ SHA512_CHAIN_MAX_SUFFIX_BYTES.
 */
export function sha512ChainPair(
  chains: readonly { readonly start: Uint8Array; readonly suffix: Uint8Array }[],
  rounds: number,
): Uint8Array[] {
  if (!Number.isSafeInteger(rounds) || rounds < 0 || rounds > MAX_SHA512_ITERATIONS)
    throw new RangeError(`rounds must be 0..${MAX_SHA512_ITERATIONS}, got ${rounds}`)
  if (chains.length < 1 || chains.length > SHA512_CHAIN_LANES)
    throw new RangeError(`1 to ${SHA512_CHAIN_LANES} chains per call, got ${chains.length}`)
  const { run, memory } = load()
  for (let lane = 0; lane < SHA512_CHAIN_LANES; lane++) {
    const chain = chains[Math.min(lane, chains.length - 1)] as (typeof chains)[number]
    if (chain.start.length !== SHA512_DIGEST_BYTES) throw new RangeError('start must be a SHA-512 digest')
    if (chain.suffix.length > SHA512_CHAIN_MAX_SUFFIX_BYTES)
      throw new RangeError(`suffix longer than ${SHA512_CHAIN_MAX_SUFFIX_BYTES} bytes`)
    const tail = tailBlock(chain.suffix)
    for (let i = 0; i < WORDS; i++) {
      putWord(memory, STATE_OFFSET, lane, chain.start, i)
      putWord(memory, TAIL_OFFSET, lane, tail, i)
    }
  }
  run(rounds)
  return chains.map((_, lane) => {
    const out = new Uint8Array(SHA512_DIGEST_BYTES)
    const view = new DataView(out.buffer)
    for (let i = 0; i < WORDS; i++) {
      const at = STATE_OFFSET + 16 * i + 8 * lane
      view.setUint32(8 * i, memory.getUint32(at + 4, true), false)
      view.setUint32(8 * i + 4, memory.getUint32(at, true), false)
    }
    return out
  })
}

function nodeSha512(data: Uint8Array): Uint8Array {
  const digest = hash('sha512', data, 'buffer')
  // a plain Uint8Array; copied only if the Buffer lives in a shared pool
  if (digest.byteOffset === 0 && digest.buffer.byteLength === digest.byteLength)
    return new Uint8Array(digest.buffer)
  return new Uint8Array(digest)
}

/**
 * CryptoSuite.sha512Iterate on node:crypto and the WebAssembly loop: the first hash of each
 * chain one-shot, the other rounds two chains per WebAssembly call; a pair with a suffix too
 * long for one block runs round by round on node:crypto instead.
 */
export function sha512IterateFast(chains: readonly Sha512Chain[], iterations: number): Uint8Array[] {
  checkIterations(iterations)
  const out: Uint8Array[] = []
  for (let i = 0; i < chains.length; i += SHA512_CHAIN_LANES) {
    const group = chains.slice(i, i + SHA512_CHAIN_LANES)
    if (group.every((c) => c.suffix.length <= SHA512_CHAIN_MAX_SUFFIX_BYTES))
      out.push(
        ...sha512ChainPair(
          group.map((c) => ({ start: nodeSha512(c.first), suffix: c.suffix })),
          iterations - 1,
        ),
      )
    else for (const c of group) out.push(sha512Chain(nodeSha512, c, iterations))
  }
  return out
}
