/**
 * The auto-download policy (node/src/files/auto-download.ts): images yes, files ask, a size limit
 * over both; only what the user set is stored (in a real sealed store), so an unset limit follows
 * the daemon's --auto-download-mb.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { fetchesUnasked, policyOf, readAutoDownload, updateAutoDownload } from '../src/files/auto-download.ts'
import { AUTO_DOWNLOAD_MAX_BYTES } from '../src/files/constants.ts'
import { SealedStore } from '../src/storage/sealed-store.ts'

const MIB = 1024 * 1024

describe('auto-download policy', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wren-auto-download-'))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  test('defaults: images are fetched, other files ask, nothing over 100 MiB', () => {
    const policy = policyOf({})
    assert.deepEqual(policy, { images: true, files: false, maxBytes: AUTO_DOWNLOAD_MAX_BYTES })
    for (const mediaType of ['image/png', 'image/jpeg', 'image/webp', 'image/gif'])
      assert.equal(fetchesUnasked(policy, { mediaType, size: MIB }), true, mediaType)
    for (const mediaType of ['application/pdf', 'application/octet-stream', 'image/svg+xml', 'video/mp4'])
      assert.equal(fetchesUnasked(policy, { mediaType, size: MIB }), false, mediaType)
    assert.equal(fetchesUnasked(policy, { mediaType: 'image/jpeg', size: AUTO_DOWNLOAD_MAX_BYTES }), true)
    assert.equal(
      fetchesUnasked(policy, { mediaType: 'image/jpeg', size: AUTO_DOWNLOAD_MAX_BYTES + 1 }),
      false,
    )
  })

  test('the user’s switches and limit; an unset limit is the daemon’s', () => {
    const daemonLimit = 512 * 1024
    assert.equal(policyOf({}, daemonLimit).maxBytes, daemonLimit)
    const files = policyOf({ files: true, images: false }, daemonLimit)
    assert.equal(fetchesUnasked(files, { mediaType: 'application/pdf', size: daemonLimit }), true)
    assert.equal(fetchesUnasked(files, { mediaType: 'image/png', size: 10 }), false)
    const limited = policyOf({ files: true, maxMb: 2 }, daemonLimit)
    assert.equal(limited.maxBytes, 2 * MIB, 'the user’s limit wins over the daemon’s')
    assert.equal(fetchesUnasked(limited, { mediaType: 'application/zip', size: 2 * MIB }), true)
    assert.equal(fetchesUnasked(limited, { mediaType: 'application/zip', size: 2 * MIB + 1 }), false)
    assert.equal(fetchesUnasked(policyOf({ maxMb: 0 }), { mediaType: 'image/png', size: 1 }), false)
  })

  test('stored in the sealed store: changes merge, absent fields stay unset, kept across a reopen', async () => {
    const key = seededRandom('auto-download')(32)
    const location = join(dir, 'store')
    let store = await SealedStore.open(location, key)
    try {
      assert.deepEqual(await readAutoDownload(store), {})
      assert.deepEqual(await updateAutoDownload(store, { files: true }), { files: true })
      assert.deepEqual(await updateAutoDownload(store, { maxMb: 5, images: undefined }), {
        files: true,
        maxMb: 5,
      })
      assert.deepEqual(await updateAutoDownload(store, { files: false }), { files: false, maxMb: 5 })
    } finally {
      await store.close()
    }
    store = await SealedStore.open(location, key)
    try {
      assert.deepEqual(await readAutoDownload(store), { files: false, maxMb: 5 })
    } finally {
      await store.close()
    }
  })
})
