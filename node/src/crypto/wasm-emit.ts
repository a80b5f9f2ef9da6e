/**
 * A very small WebAssembly binary writer: just enough to emit one module with one exported
 * function and one exported memory (sha512-chain.ts builds its code with it). The module is
 * generated from readable TypeScript at load time, so no opaque binary lives in the repository.
 * Encoding: WebAssembly Core Specification 2.0, chapter 5 (binary format); SIMD opcodes from
 * the fixed-width SIMD proposal (merged in 2.0), all behind the 0xfd prefix.
 */

/** Unsigned LEB128 (§5.2.2), for indices, sizes and SIMD opcodes. */
export function uleb(value: number): number[] {
  const out: number[] = []
  let v = value >>> 0
  do {
    let byte = v & 0x7f
    v >>>= 7
    if (v !== 0) byte |= 0x80
    out.push(byte)
  } while (v !== 0)
  return out
}

/** Signed LEB128 (§5.2.2), for i32.const immediates. */
export function sleb(value: number): number[] {
  const out: number[] = []
  let v = value | 0
  for (;;) {
    const byte = v & 0x7f
    v >>= 7
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte)
      return out
    }
    out.push(byte | 0x80)
  }
}

/** Value types (§5.3.1). */
export const I32 = 0x7f
export const V128 = 0x7b

/** Instruction opcodes used here (§5.4); SIMD ones are numbers after the 0xfd prefix. */
export const op = {
  block: 0x02,
  loop: 0x03,
  brIf: 0x0d,
  end: 0x0b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i32Store: 0x36,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32And: 0x71,
  i32Or: 0x72,
  i32Xor: 0x73,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  i32Rotl: 0x77,
  i32Rotr: 0x78,
  /** Block type of a block without results (§5.4.1). */
  emptyBlock: 0x40,
} as const

export const simd = {
  v128Load: 0x00,
  v128Store: 0x0b,
  v128Const: 0x0c,
  v128And: 0x4e,
  v128Xor: 0x51,
  v128Bitselect: 0x52,
  i64x2Shl: 0xcb,
  i64x2ShrU: 0xcd,
  i64x2Add: 0xce,
} as const

/** Appends the unsigned LEB128 of `value` (no intermediate array: the writer runs cold, once). */
function pushUleb(out: number[], value: number): void {
  let v = value >>> 0
  for (;;) {
    const byte = v & 0x7f
    v >>>= 7
    if (v === 0) {
      out.push(byte)
      return
    }
    out.push(byte | 0x80)
  }
}

/** Accumulates the bytes of one function body's instructions. */
export class CodeWriter {
  readonly bytes: number[] = []

  /** An instruction with raw immediate bytes (block types, label depths below 128). */
  op(code: number, ...immediates: number[]): this {
    this.bytes.push(code, ...immediates)
    return this
  }

  /** A SIMD instruction without immediates. */
  simd(code: number): this {
    this.bytes.push(0xfd)
    pushUleb(this.bytes, code)
    return this
  }

  /** A load or store with its memarg (§5.4.6): alignment exponent and constant offset. */
  memory(code: number, align: number, offset: number): this {
    this.bytes.push(code)
    pushUleb(this.bytes, align)
    pushUleb(this.bytes, offset)
    return this
  }

  /** A SIMD load or store with its memarg. */
  simdMemory(code: number, align: number, offset: number): this {
    this.simd(code)
    pushUleb(this.bytes, align)
    pushUleb(this.bytes, offset)
    return this
  }

  get(local: number): this {
    this.bytes.push(op.localGet)
    pushUleb(this.bytes, local)
    return this
  }

  set(local: number): this {
    this.bytes.push(op.localSet)
    pushUleb(this.bytes, local)
    return this
  }

  tee(local: number): this {
    this.bytes.push(op.localTee)
    pushUleb(this.bytes, local)
    return this
  }

  i32(value: number): this {
    this.bytes.push(op.i32Const)
    for (const byte of sleb(value)) this.bytes.push(byte)
    return this
  }

  /** v128.const with two 64-bit lanes, each given as a bigint (little-endian lanes). */
  i64x2Const(lane0: bigint, lane1: bigint): this {
    this.simd(simd.v128Const)
    for (const lane of [lane0, lane1]) {
      const low = Number(lane & 0xffff_ffffn)
      const high = Number(lane >> 32n)
      for (let i = 0; i < 4; i++) this.bytes.push((low >>> (8 * i)) & 0xff)
      for (let i = 0; i < 4; i++) this.bytes.push((high >>> (8 * i)) & 0xff)
    }
    return this
  }

  /** v128.load with a 16-byte alignment hint at a constant offset from address 0. */
  load(offset: number): this {
    return this.i32(0).simdMemory(simd.v128Load, 4, offset)
  }
}

/** "\0asm" and binary format version 1 (§5.5.16). */
const MAGIC_AND_VERSION = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]

/** Section ids (§5.5.2). */
const SECTION = { type: 1, function: 3, memory: 5, export: 7, code: 10 } as const
/** Export descriptor kinds (§5.5.10). */
const EXPORT = { function: 0x00, memory: 0x02 } as const
/** Function type tag (§5.3.6) and memory limits without a maximum (§5.3.7). */
const FUNCTION_TYPE = 0x60
const LIMITS_MIN_ONLY = 0x00

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()]
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content]
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)]
  return [...uleb(bytes.length), ...bytes]
}

export interface FunctionSpec {
  readonly exportName: string
  readonly params: readonly number[]
  /** Extra locals after the params: [count, value type] runs. */
  readonly locals: readonly (readonly [number, number])[]
  readonly code: CodeWriter
}

/** A module with one function (no results) and one memory of `memoryPages` 64 KiB pages. */
export function emitModule(fn: FunctionSpec, memoryName: string, memoryPages: number): Uint8Array {
  const type = [FUNCTION_TYPE, ...vec(fn.params.map((p) => [p])), ...vec([])]
  const body = [
    ...vec(fn.locals.map(([count, valueType]) => [...uleb(count), valueType])),
    ...fn.code.bytes,
    op.end,
  ]
  return Uint8Array.from([
    ...MAGIC_AND_VERSION,
    ...section(SECTION.type, vec([type])),
    ...section(SECTION.function, vec([uleb(0)])),
    ...section(SECTION.memory, vec([[LIMITS_MIN_ONLY, ...uleb(memoryPages)]])),
    ...section(
      SECTION.export,
      vec([
        [...name(fn.exportName), EXPORT.function, ...uleb(0)],
        [...name(memoryName), EXPORT.memory, ...uleb(0)],
      ]),
    ),
    ...section(SECTION.code, vec([[...uleb(body.length), ...body]])),
  ])
}
