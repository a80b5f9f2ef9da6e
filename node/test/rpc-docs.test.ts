import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { test } from 'node:test'
import { methodNames } from '../src/rpc/api.ts'
import { RPC_DOCS_PATH, renderRpcDocs } from '../src/rpc/docs.ts'

test('docs/rpc.md equals the rendering of the API declaration (run `node node/src/rpc/docs.ts --write`)', async () => {
  const onDisk = await readFile(RPC_DOCS_PATH, 'utf8')
  assert.equal(onDisk, renderRpcDocs(), 'docs/rpc.md drifted from node/src/rpc/api.ts')
})

test('the rendered docs document every method and every error name', () => {
  const docs = renderRpcDocs()
  for (const name of methodNames) assert.ok(docs.includes(`### \`${name}\``), name)
  for (const code of ['LOCKED', 'NO_IDENTITY', 'WRONG_PASSPHRASE', 'KEY_CHANGED_UNACCEPTED', '-32602'])
    assert.ok(docs.includes(code), code)
})
