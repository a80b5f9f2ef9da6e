/**
 * Give a large buffer's memory back at once instead of at V8's next collection: its ArrayBuffer
 * is detached (ArrayBuffer.prototype.transfer(0), ES2024), which frees the backing store, and
 * every view of it reads as empty from then on. Freed 256 KiB chunks otherwise pile up toward
 * V8's external-memory limit (~64 MB) between collections: sealing 512 MiB peaked at 106–115 MB
 * of anonymous memory without this and at 80–84 MB with it (docs/benchmarks.md, bench:files).
 *
 * Only for bytes the caller allocated itself (a cipher's output, a file it read) and holds
 * alone. A view that does not span its whole ArrayBuffer (a slice of Node's shared Buffer pool, a
 * field inside a frame) is left alone, and so is anything under RELEASE_MIN_BYTES.
 */

/** Smallest buffer worth detaching, in bytes: below a chunk's size the collector keeps up. */
export const RELEASE_MIN_BYTES = 64 * 1024

export function releaseBytes(bytes: Uint8Array): void {
  const { buffer } = bytes
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength < RELEASE_MIN_BYTES) return
  if (bytes.byteOffset !== 0 || bytes.byteLength !== buffer.byteLength) return
  buffer.transfer(0)
}
