import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { InvalidRecordKeyError, SealedValueError } from '../src/storage/errors.ts'
import { decodeJson, encodeJson } from '../src/storage/json-codec.ts'
import { orderedCounter, READ_CACHE_ENTRIES, SealedStore } from '../src/storage/sealed-store.ts'

async function rawDbBytes(location: string): Promise<Buffer> {
  const files = await readdir(location)
  return Buffer.concat(await Promise.all(files.map((f) => readFile(join(location, f)))))
}

describe('sealed store', () => {
  let dir: string
  const random = seededRandom('sealed-store')
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wren-sealed-'))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  test('put/get round-trips JSON values with Uint8Array fields; missing key gives undefined', async () => {
    const store = await SealedStore.open(join(dir, 'roundtrip'), random(32))
    try {
      const value = {
        a: 1,
        b: 'two',
        c: [true, null],
        bytes: random(40),
        nested: { more: new Uint8Array([0, 255]) },
      }
      await store.put('rec/1', value)
      assert.deepEqual(await store.get('rec/1'), value)
      assert.equal(await store.get('rec/missing'), undefined)
      await store.del('rec/1')
      assert.equal(await store.get('rec/1'), undefined)
    } finally {
      await store.close()
    }
  })

  test('values on disk do not contain the plaintext, while keys do (positive control)', async () => {
    const location = join(dir, 'disk')
    const store = await SealedStore.open(location, random(32))
    const secretText = 'meet me at the old lighthouse at nine'
    const secretBytes = random(32)
    for (let i = 0; i < 20; i++)
      await store.put(`msg/${orderedCounter(i)}`, { text: `${secretText} #${i}`, blob: secretBytes })
    await store.close()
    const raw = await rawDbBytes(location)
    assert.ok(
      raw.includes(Buffer.from(`msg/${orderedCounter(7)}`)),
      'scan finds keys, so it would find values',
    )
    assert.ok(!raw.includes(Buffer.from(secretText)))
    assert.ok(!raw.includes(Buffer.from(secretBytes)))
    assert.ok(!raw.includes(Buffer.from(Buffer.from(secretBytes).toString('base64'))))
  })

  test('opening with the wrong storage key fails with SealedValueError', async () => {
    const location = join(dir, 'wrong-key')
    const store = await SealedStore.open(location, random(32))
    await store.put('k', { hello: 'world' })
    await store.close()
    const other = await SealedStore.open(location, random(32))
    try {
      await assert.rejects(other.get('k'), SealedValueError)
      await assert.rejects(async () => {
        for await (const _ of other.iterate()) assert.fail('must not yield')
      }, SealedValueError)
    } finally {
      await other.close()
    }
  })

  test('a value moved under another key does not open (key is the associated data)', async () => {
    const { Level } = await import('level')
    const location = join(dir, 'moved')
    const key = random(32)
    const store = await SealedStore.open(location, key)
    await store.put('contact/a', { name: 'alice' })
    await store.close()
    const raw = new Level<string, Uint8Array>(location, { keyEncoding: 'utf8', valueEncoding: 'view' })
    const sealed = await raw.get('contact/a')
    assert.ok(sealed)
    await raw.put('contact/b', sealed)
    await raw.close()
    const reopened = await SealedStore.open(location, key)
    try {
      assert.deepEqual(await reopened.get('contact/a'), { name: 'alice' })
      await assert.rejects(reopened.get('contact/b'), SealedValueError)
    } finally {
      await reopened.close()
    }
  })

  test('batch is all-or-nothing: a bad key anywhere writes nothing, a good batch applies puts and dels together', async () => {
    const store = await SealedStore.open(join(dir, 'batch'), random(32))
    try {
      await store.put('x', 0)
      await assert.rejects(
        store.batch([
          { type: 'put', key: 'a', value: 1 },
          { type: 'del', key: 'x' },
          { type: 'put', key: 'bad key with spaces', value: 2 },
        ]),
        InvalidRecordKeyError,
      )
      assert.equal(await store.get('a'), undefined)
      assert.equal(await store.get('x'), 0)
      await store.batch([
        { type: 'put', key: 'a', value: 1 },
        { type: 'del', key: 'x' },
      ])
      assert.equal(await store.get('a'), 1)
      assert.equal(await store.get('x'), undefined)
    } finally {
      await store.close()
    }
  })

  test('iterate orders by key, honours prefix/gte/lt/reverse/limit', async () => {
    const store = await SealedStore.open(join(dir, 'iterate'), random(32))
    try {
      const seqs = [10, 2, 33, 1, 100, 5]
      await store.batch([
        ...seqs.map((n) => ({ type: 'put' as const, key: `m/c1/${orderedCounter(n)}`, value: { n } })),
        { type: 'put', key: 'm/c10/0', value: 'other conversation' },
        { type: 'put', key: 'm/c0', value: 'before' },
      ])
      const all = async (o: Parameters<typeof store.iterate>[0]) => {
        const out: unknown[] = []
        for await (const [, v] of store.iterate<{ n: number }>(o)) out.push(v.n)
        return out
      }
      assert.deepEqual(await all({ prefix: 'm/c1/' }), [1, 2, 5, 10, 33, 100])
      assert.deepEqual(await all({ prefix: 'm/c1/', reverse: true, limit: 2 }), [100, 33])
      assert.deepEqual(
        await all({ prefix: 'm/c1/', lt: `m/c1/${orderedCounter(10)}`, reverse: true, limit: 2 }),
        [5, 2],
      )
      assert.deepEqual(
        await all({ prefix: 'm/c1/', gte: `m/c1/${orderedCounter(5)}`, limit: 3 }),
        [5, 10, 33],
      )
      assert.deepEqual(await all({ prefix: 'm/c1/', gte: 'a' }), [1, 2, 5, 10, 33, 100])
    } finally {
      await store.close()
    }
  })

  test('keys that are empty, too long or contain spaces or non-ASCII are refused', async () => {
    const store = await SealedStore.open(join(dir, 'keys'), random(32))
    try {
      for (const key of ['', 'a b', 'é', 'x'.repeat(513), 'tab\tkey'])
        await assert.rejects(store.put(key, 1), InvalidRecordKeyError)
    } finally {
      await store.close()
    }
  })

  test('a value read from memory is the value a fresh store reads from disk (bytes as Uint8Array, undefined fields dropped)', async () => {
    const location = join(dir, 'cache-faithful')
    const value = { b: Buffer.from([1, 2, 3]), gone: undefined, n: 5, list: [new Uint8Array([9])] }
    const key = random(32)
    const store = await SealedStore.open(location, key)
    let cached: unknown
    try {
      await store.put('rec/x', value)
      cached = await store.get('rec/x')
    } finally {
      await store.close()
    }
    const fresh = await SealedStore.open(location, key)
    try {
      assert.deepEqual(cached, await fresh.get('rec/x'))
    } finally {
      await fresh.close()
    }
    assert.deepEqual(cached, { b: new Uint8Array([1, 2, 3]), n: 5, list: [new Uint8Array([9])] })
    assert.ok(!Buffer.isBuffer((cached as { b: Uint8Array }).b), 'bytes come back as a plain Uint8Array')
  })

  test('reads follow writes: puts, dels and batches replace what was read before, and a read racing a write never leaves the old value behind', async () => {
    const store = await SealedStore.open(join(dir, 'cache-coherent'), random(32))
    try {
      await store.put('rec/a', { v: 1 })
      assert.deepEqual(await store.get('rec/a'), { v: 1 })
      await store.batch([
        { type: 'put', key: 'rec/a', value: { v: 2 } },
        { type: 'put', key: 'rec/b', value: { v: 3 } },
      ])
      assert.deepEqual(await store.get('rec/a'), { v: 2 })
      await store.del('rec/a')
      assert.equal(await store.get('rec/a'), undefined)
      // a failed batch (bad key) changes nothing, in memory as on disk
      await assert.rejects(
        store.batch([
          { type: 'put', key: 'rec/b', value: { v: 4 } },
          { type: 'put', key: 'bad key', value: 0 },
        ]),
        InvalidRecordKeyError,
      )
      assert.deepEqual(await store.get('rec/b'), { v: 3 })
      // reads started before, during and after writes of the same key: the last write wins
      for (let round = 0; round < 50; round++) {
        const reads = [store.get('rec/b')]
        const write = store.put('rec/b', { v: 10 + round })
        reads.push(store.get('rec/b'))
        await Promise.all([write, ...reads])
        assert.deepEqual(await store.get('rec/b'), { v: 10 + round })
      }
    } finally {
      await store.close()
    }
  })

  test('a read from disk that races a write of the same key does not keep the older value', async () => {
    const location = join(dir, 'cache-race')
    const key = random(32)
    const rounds = 200
    const first = await SealedStore.open(location, key)
    await first.batch(
      Array.from({ length: rounds }, (_, i) => ({
        type: 'put' as const,
        key: `r/${orderedCounter(i)}`,
        value: 0,
      })),
    )
    await first.close()
    const store = await SealedStore.open(location, key) // nothing in memory yet
    try {
      for (let i = 0; i < rounds; i++) {
        const k = `r/${orderedCounter(i)}`
        const read = store.get(k) // goes to disk
        await Promise.all([read, store.put(k, 1)])
        assert.equal(await store.get(k), 1, `round ${i}`)
      }
    } finally {
      await store.close()
    }
  })

  test(`more than READ_CACHE_ENTRIES (${READ_CACHE_ENTRIES}) records still read back, each its own value`, async () => {
    const store = await SealedStore.open(join(dir, 'cache-bounded'), random(32))
    try {
      const count = READ_CACHE_ENTRIES + 50
      await store.batch(
        Array.from({ length: count }, (_, i) => ({
          type: 'put' as const,
          key: `n/${orderedCounter(i)}`,
          value: i,
        })),
      )
      for (const i of [0, 1, 49, 50, count - 1]) assert.equal(await store.get(`n/${orderedCounter(i)}`), i)
    } finally {
      await store.close()
    }
  })

  test('existing() tells which keys hold a value, from memory and from disk, after puts and dels', async () => {
    const location = join(dir, 'existing')
    const key = random(32)
    const first = await SealedStore.open(location, key)
    await first.batch([
      { type: 'put', key: 'e/disk', value: 1 },
      { type: 'put', key: 'e/gone', value: 2 },
    ])
    await first.close()
    const store = await SealedStore.open(location, key) // 'e/disk' is on disk only
    try {
      await store.put('e/new', 3)
      await store.del('e/gone')
      assert.deepEqual([...(await store.existing(['e/disk', 'e/gone', 'e/new', 'e/never']))].sort(), [
        'e/disk',
        'e/new',
      ])
      await assert.rejects(store.existing(['bad key']), InvalidRecordKeyError)
    } finally {
      await store.close()
    }
  })

  test('warm() reads ahead in one call: later gets see the stored values, and a warm racing a write keeps nothing old', async () => {
    const location = join(dir, 'warm')
    const key = random(32)
    const rounds = 300
    const first = await SealedStore.open(location, key)
    await first.batch(
      Array.from({ length: rounds }, (_, i) => ({
        type: 'put' as const,
        key: `w/${orderedCounter(i)}`,
        value: { i },
      })),
    )
    await first.close()
    const store = await SealedStore.open(location, key)
    try {
      await store.warm(['w/missing', `w/${orderedCounter(0)}`, `w/${orderedCounter(1)}`])
      assert.deepEqual(await store.get(`w/${orderedCounter(1)}`), { i: 1 })
      assert.equal(await store.get('w/missing'), undefined)
      for (let i = 2; i < rounds; i++) {
        const k = `w/${orderedCounter(i)}`
        // either one first: the write's value must be what stays
        await Promise.all(
          i % 2 === 0
            ? [store.warm([k]), store.put(k, { i: -i })]
            : [store.put(k, { i: -i }), store.warm([k])],
        )
        assert.deepEqual(await store.get(k), { i: -i }, `round ${i}`)
      }
    } finally {
      await store.close()
    }
  })

  test('putBytes values read back as the same bytes with getBytes, also from a fresh store; older JSON bytes still read; a JSON record or a moved value is refused', async () => {
    const location = join(dir, 'bytes')
    const key = random(32)
    const chunk = random(256 * 1024)
    let store = await SealedStore.open(location, key)
    try {
      await store.batch([
        { type: 'putBytes', key: 'fc/1', value: chunk },
        { type: 'put', key: 'fc/old', value: new Uint8Array([1, 2, 3]) },
        { type: 'put', key: 'rec/1', value: { a: 1 } },
      ])
      assert.deepEqual(await store.getBytes('fc/1'), chunk)
      assert.deepEqual(await store.getBytes('fc/old'), new Uint8Array([1, 2, 3]))
      await assert.rejects(store.getBytes('rec/1'), SealedValueError)
      assert.equal(await store.getBytes('fc/missing'), undefined)
    } finally {
      await store.close()
    }
    store = await SealedStore.open(location, key)
    try {
      assert.deepEqual(await store.getBytes('fc/1'), chunk, 'from disk, not from memory')
      assert.deepEqual(await store.getBytes('fc/old'), new Uint8Array([1, 2, 3]))
      await assert.rejects(store.getBytes('rec/1'), SealedValueError)
    } finally {
      await store.close()
    }
    const onDisk = await rawDbBytes(location)
    assert.equal(onDisk.indexOf(Buffer.from(chunk.subarray(0, 64))), -1, 'the bytes are sealed on disk')
  })

  test('json codec round-trips bytes, including Buffers, and rejects cycles', () => {
    const value = { b: Buffer.from([1, 2, 3]), list: [new Uint8Array([9])] }
    assert.deepEqual(decodeJson(encodeJson(value)), {
      b: new Uint8Array([1, 2, 3]),
      list: [new Uint8Array([9])],
    })
    assert.deepEqual(decodeJson(encodeJson(new Uint8Array([4]))), new Uint8Array([4]))
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    assert.throws(() => encodeJson(cyclic), { name: 'ValueEncodingError' })
  })
})
