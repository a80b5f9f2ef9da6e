/**
 * A small bounded LRU keyed by raw key bytes, mostly for imported KeyObjects. Importing a raw key
 * into OpenSSL costs more than the operation itself for X25519 and Ed25519 signing, and a node
 * reuses the same few keys (identity, prekeys, ratchet keys) over and over, so a small cache
 * roughly triples throughput on the hot paths.
 */
export class BoundedCache<V> {
  readonly #limit: number
  readonly #entries = new Map<string, V>()

  constructor(limit: number) {
    this.#limit = limit
  }

  /** The cached value for these bytes, or the one `load` makes (then cached). */
  get(bytes: Uint8Array, load: () => V): V {
    const id = cacheId(bytes)
    const hit = this.#entries.get(id)
    if (hit !== undefined) {
      // Map keeps insertion order: re-inserting marks the entry most recently used.
      this.#entries.delete(id)
      this.#entries.set(id, hit)
      return hit
    }
    const created = load()
    this.#insert(id, created)
    return created
  }

  /** Cache a value made elsewhere (e.g. the KeyObject of a freshly generated key). */
  set(bytes: Uint8Array, value: V): void {
    const id = cacheId(bytes)
    this.#entries.delete(id)
    this.#insert(id, value)
  }

  get size(): number {
    return this.#entries.size
  }

  #insert(id: string, value: V): void {
    if (this.#entries.size >= this.#limit) {
      const oldest = this.#entries.keys().next().value
      if (oldest !== undefined) this.#entries.delete(oldest)
    }
    this.#entries.set(id, value)
  }
}

function cacheId(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
}
