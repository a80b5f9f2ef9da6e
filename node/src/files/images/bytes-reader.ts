/**
 * Bounds-checked big- and little-endian reads for the image parsers: every read past the end is a
 * MalformedImageError, never undefined arithmetic.
 */
import { MalformedImageError } from './errors.ts'

export function need(ok: boolean, format: string, reason: string): asserts ok {
  if (!ok) throw new MalformedImageError(format, reason)
}

export class ByteView {
  readonly bytes: Uint8Array
  readonly format: string

  constructor(bytes: Uint8Array, format: string) {
    this.bytes = bytes
    this.format = format
  }

  get length(): number {
    return this.bytes.length
  }

  #at(pos: number, width: number): void {
    need(pos >= 0 && pos + width <= this.bytes.length, this.format, 'truncated')
  }

  u8(pos: number): number {
    this.#at(pos, 1)
    return this.bytes[pos] as number
  }

  u16be(pos: number): number {
    this.#at(pos, 2)
    return ((this.bytes[pos] as number) << 8) | (this.bytes[pos + 1] as number)
  }

  u16le(pos: number): number {
    this.#at(pos, 2)
    return (this.bytes[pos] as number) | ((this.bytes[pos + 1] as number) << 8)
  }

  u24le(pos: number): number {
    this.#at(pos, 3)
    return this.u16le(pos) | ((this.bytes[pos + 2] as number) << 16)
  }

  u32be(pos: number): number {
    this.#at(pos, 4)
    return this.u16be(pos) * 0x10000 + this.u16be(pos + 2)
  }

  u32le(pos: number): number {
    this.#at(pos, 4)
    return this.u16le(pos) + this.u16le(pos + 2) * 0x10000
  }

  ascii(pos: number, length: number): string {
    this.#at(pos, length)
    return String.fromCharCode(...this.bytes.subarray(pos, pos + length))
  }

  slice(start: number, end: number): Uint8Array {
    need(start >= 0 && start <= end && end <= this.bytes.length, this.format, 'truncated')
    return this.bytes.subarray(start, end)
  }
}

/** What a stripper returns: the bytes to send and the size in pixels. */
export interface StrippedImage {
  readonly bytes: Uint8Array
  readonly width: number
  readonly height: number
  /** EXIF orientation kept (1–8; 1 when none): the thumbnail is turned by it. */
  readonly orientation: number
}
