/**
 * The layering rules in biome.jsonc (desktop → rpc → node services → core; RPC methods registered
 * in rpc/handlers only; daemon/ (the process entry) importing app/ (the runtime) and never the
 * reverse; the domain importing none of rpc/, app/, daemon/, cli/) fail the lint on a
 * forbidden import. The repository's own tree passing is `npm run lint`; here Biome runs with the
 * repository's configuration on a fixture tree in a temporary folder, where each fixture line is
 * an import that a rule must flag or must let through, and the flagged lines must be exactly the
 * forbidden ones. Also checked: no domain file is exempted from the layering rule (the
 * allow-list of today's offenders was emptied by the node/ restructure and removed).
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, describe, test } from 'node:test'

const REPO = join(import.meta.dirname, '..')
const BIOME = join(REPO, 'node_modules/.bin/biome')
/** Bound on one Biome run over the fixture tree, in ms: it takes well under a second. */
const BIOME_TIMEOUT_MS = 60_000
/** Biome's JSON report of a run with errors: a few KiB here; the cap only guards the test. */
const MAX_REPORT_BYTES = 16 * 1024 * 1024

interface Case {
  /** Fixture file, relative to the fixture root (the same place as in the repository). */
  readonly file: string
  /** One import statement: one line of that file. */
  readonly line: string
  readonly forbidden: boolean
}

const bad = (file: string, line: string): Case => ({ file, line, forbidden: true })
const ok = (file: string, line: string): Case => ({ file, line, forbidden: false })
const cases: Case[] = [
  // core/src: pure, nothing outside core/src
  bad('core/src/a.ts', "import { s } from '../../node/src/crypto/node-suite.ts'"),
  bad('core/src/a.ts', "import { r } from '../../relay-node/src/constants.ts'"),
  bad('core/src/group/b.ts', "import { readFile } from 'node:fs/promises'"),
  bad('core/src/group/b.ts', "import { randomBytes } from 'node:crypto'"),
  bad('core/src/group/b.ts', "import { f } from '../../../test/fixtures/fuzz.ts'"),
  bad('core/src/group/b.ts', "import { m } from '../../bench/measure.ts'"),
  ok('core/src/group/b.ts', "import { concatBytes } from '../bytes.ts'"),
  ok('core/src/group/b.ts', "import { sha256 } from '@noble/hashes/sha2.js'"),
  // core's tests and benchmarks: core and test/fixtures
  bad('core/test/c.test.ts', "import { s } from '../../node/src/crypto/node-suite.ts'"),
  ok('core/test/c.test.ts', "import { g } from '../../test/fixtures/seeded-random.ts'"),
  ok('core/test/c.test.ts', "import { b } from '../src/bytes.ts'"),
  bad('core/bench/d.ts', "import { s } from '../../node/src/crypto/node-suite.ts'"),
  ok('core/bench/d.ts', "import { b } from '../src/bytes.ts'"),
  // relay-node: core only
  bad('relay-node/src/e.ts', "import { g } from '../../node/src/p2p/guard.ts'"),
  ok('relay-node/src/e.ts', "import { v } from '../../core/src/envelope.ts'"),
  ok('relay-node/src/e.ts', "import { readFile } from 'node:fs/promises'"),
  // node: never desktop, simulations, examples, test
  bad('node/src/cli/f.ts', "import { l } from '../../../desktop/launch.ts'"),
  bad('node/src/cli/f.ts', "import { c } from '../../../test/fixtures/chat.ts'"),
  bad('node/src/cli/f.ts', "import { r } from '../../../simulations/src/run.ts'"),
  ok('node/src/cli/f.ts', "import { a } from '../rpc/api.ts'"),
  ok('node/src/cli/f.ts', "import { e } from '../../../core/src/envelope.ts'"),
  // the domain never imports rpc/ (and keeps the node-wide rule)
  bad('node/src/messaging/new-thing.ts', "import { a } from '../rpc/api.ts'"),
  bad('node/src/messaging/new-thing.ts', "import { e } from '../rpc/errors.ts'"),
  bad('node/src/messaging/new-thing.ts', "import { d } from '../../../desktop/x.ts'"),
  ok('node/src/messaging/new-thing.ts', "import { s } from '../storage/sealed.ts'"),
  ok('node/src/messaging/new-thing.ts', "import { v } from '../../../core/src/envelope.ts'"),
  bad('node/src/groups/new-thing.ts', "import { h } from '../rpc/server.ts'"),
  bad('node/src/p2p/g.ts', "import { c } from '../rpc/client.ts'"),
  bad('node/src/storage/h.ts', "import { a } from '../rpc/api.ts'"),
  // nor the layers above it (app/, daemon/, cli/); profile/, mailbox/, crypto/ are domain too
  bad('node/src/messaging/new-thing.ts', "import type { Runtime } from '../app/runtime.ts'"),
  bad('node/src/groups/new-thing.ts', "import type { Daemon } from '../daemon/daemon.ts'"),
  bad('node/src/p2p/g.ts', "import { f } from '../cli/format.ts'"),
  bad('node/src/profile/p.ts', "import { appError } from '../rpc/errors.ts'"),
  bad('node/src/profile/p.ts', "import type { HostContext } from '../app/host-context.ts'"),
  ok('node/src/profile/p.ts', "import { SealedStore } from '../storage/sealed-store.ts'"),
  bad('node/src/mailbox/q.ts', "import { a } from '../rpc/api.ts'"),
  bad('node/src/crypto/r.ts', "import { a } from '../rpc/api.ts'"),
  bad('node/src/log.ts', "import { a } from './rpc/api.ts'"),
  // the allow-list is gone (the restructure of issue 13): former offenders get the rule too
  bad('node/src/messaging/vault.ts', "import { a } from '../rpc/api.ts'"),
  bad('node/src/messaging/vault.ts', "import { e } from '../rpc/errors.ts'"),
  bad('node/src/groups/group-service.ts', "import { a } from '../rpc/api.ts'"),
  bad('node/src/messaging/vault.ts', "import { t } from '../../../test/fixtures/chat.ts'"),
  // (group-handlers.ts, once allow-listed, moved to rpc/handlers: a domain file like any other)
  bad('node/src/groups/group-handlers.ts', "import { h } from '../rpc/server.ts'"),
  bad('node/src/groups/group-handlers.ts', "import { c } from '../rpc/client.ts'"),
  // RPC methods are registered in rpc/handlers only (the server's Handlers / RpcContext types)
  bad('node/src/app/k.ts', "import type { Handlers } from '../rpc/server.ts'"),
  bad('node/src/cli/k.ts', "import type { RpcContext } from '../rpc/server.ts'"),
  bad('node/src/rpc/l.ts', "import type { Handlers } from './server.ts'"),
  ok('node/src/cli/k.ts', "import { MAX_RPC_MESSAGE_BYTES } from '../rpc/server.ts'"),
  ok('node/src/rpc/handlers/m.ts', "import type { Handlers } from '../server.ts'"),
  ok('node/src/rpc/handlers/m.ts', "import { startRuntime } from '../../app/runtime.ts'"),
  bad('node/src/rpc/handlers/m.ts', "import { t } from '../../../../test/fixtures/chat.ts'"),
  // rpc/handlers is the edge: only the composition root imports it
  bad('node/src/app/k.ts', "import { createHandlers } from '../rpc/handlers/index.ts'"),
  bad('node/src/rpc/l.ts', "import { createHandlers } from './handlers/index.ts'"),
  // daemon/ is the process entry: it imports app/ (the runtime); app/ never imports daemon/, and
  // nothing else in node/src does either (what the node needs of its host: app/host-context.ts)
  bad('node/src/app/k.ts', "import type { HostContext } from '../daemon/context.ts'"),
  bad('node/src/app/k.ts', "import { startDaemon } from '../daemon/daemon.ts'"),
  bad('node/src/app/k.ts', "import { createLogger } from '../daemon/log.ts'"),
  bad('node/src/rpc/handlers/m.ts', "import type { Daemon } from '../../daemon/daemon.ts'"),
  bad('node/src/rpc/o.ts', "import type { Daemon } from '../daemon/daemon.ts'"),
  ok('node/src/app/k.ts', "import type { ProfileSession } from '../profile/session.ts'"),
  ok('node/src/app/k.ts', "import type { Logger } from '../log.ts'"),
  ok('node/src/daemon/n.ts', "import { startNodeLifecycle } from '../app/node-lifecycle.ts'"),
  ok('node/src/daemon/n.ts', "import type { HostContext } from '../app/host-context.ts'"),
  ok('node/src/daemon/n.ts', "import { s } from './daemon.ts'"),
  bad('node/src/daemon/n.ts', "import type { Handlers } from '../rpc/server.ts'"),
  bad('node/src/daemon/n.ts', "import { createHandlers } from '../rpc/handlers/index.ts'"),
  bad('node/src/daemon/n.ts', "import { d } from '../../../desktop/x.ts'"),
  ok('node/src/daemon/n.ts', "import { RpcServer } from '../rpc/server.ts'"),
  ok('node/src/daemon/n.ts', "import { appError } from '../rpc/errors.ts'"),
  ok('node/src/daemon/daemon.ts', "import { type Handlers, RpcServer } from '../rpc/server.ts'"),
  ok('node/src/daemon/daemon.ts', "import type { HostContext } from '../app/host-context.ts'"),
  bad('node/src/daemon/daemon.ts', "import { createHandlers } from '../rpc/handlers/index.ts'"),
  ok('node/src/daemon/main.ts', "import { startNodeLifecycle } from '../app/node-lifecycle.ts'"),
  ok('node/src/daemon/main.ts', "import { createHandlers } from '../rpc/handlers/index.ts'"),
  bad('node/src/daemon/main.ts', "import type { Handlers } from '../rpc/server.ts'"),
  bad('node/src/daemon/main.ts', "import { c } from '../../../test/fixtures/chat.ts'"),
  // the client core is bundled into the desktop: the API types only
  ok('node/src/rpc/client-core.ts', "import type { Result } from './api.ts'"),
  bad('node/src/rpc/client-core.ts', "import { RpcError } from './errors.ts'"),
  bad('node/src/rpc/client-core.ts', "import { WebSocket } from 'ws'"),
  bad('node/src/rpc/client-core.ts', "import { EventEmitter } from 'node:events'"),
  // desktop/src: of node/ only the API types and the client core; nothing of Node
  ok('desktop/src/i.ts', "import type { Message } from '../../node/src/rpc/api.ts'"),
  ok('desktop/src/i.ts', "import { RpcClientCore } from '../../node/src/rpc/client-core.ts'"),
  bad('desktop/src/i.ts', "import { methods } from '../../node/src/rpc/api.ts'"),
  bad('desktop/src/i.ts', "import { MessageSchema } from '../../node/src/rpc/api.ts'"),
  bad('desktop/src/i.ts', "import { MAX_TEXT_CHARS } from '../../node/src/rpc/api.ts'"),
  bad('desktop/src/i.ts', "import { RpcError } from '../../node/src/rpc/errors.ts'"),
  bad('desktop/src/i.ts', "import { readFile } from 'node:fs/promises'"),
  ok('desktop/src/i.ts', "import { render } from 'preact'"),
  bad('desktop/src/logic/j.ts', "import { WrenClient } from '../../../node/src/rpc/client.ts'"),
  ok('desktop/src/logic/j.ts', "import type { Contact } from '../../../node/src/rpc/api.ts'"),
]

interface Diagnostic {
  category?: string
  location?: { path?: unknown; start?: { line?: number } }
}

/** Run Biome on the fixture tree; resolves with its exit code and the (file, line) it flagged. */
function lintFixtures(root: string): Promise<{ code: number; flagged: Set<string> }> {
  return new Promise((resolve, reject) => {
    execFile(
      BIOME,
      ['lint', '--reporter=json', '--max-diagnostics=none', '--vcs-enabled=false', '.'],
      { cwd: root, timeout: BIOME_TIMEOUT_MS, maxBuffer: MAX_REPORT_BYTES },
      (error, stdout) => {
        if (error && typeof error.code !== 'number') return reject(error)
        let report: { diagnostics?: Diagnostic[] }
        try {
          report = JSON.parse(stdout)
        } catch {
          return reject(new Error(`biome printed no JSON report: ${stdout.slice(0, 500)}`))
        }
        const flagged = new Set<string>()
        for (const d of report.diagnostics ?? []) {
          if (d.category !== 'lint/style/noRestrictedImports') continue
          const path =
            typeof d.location?.path === 'string' ? d.location.path : JSON.stringify(d.location?.path)
          flagged.add(`${path.replace(/^\.\//, '')}:${d.location?.start?.line}`)
        }
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, flagged })
      },
    )
  })
}

/** biome.jsonc without its comment lines (the file keeps comments on lines of their own). */
async function readConfig(): Promise<{ overrides: Array<{ includes?: string[] }> }> {
  const text = await readFile(join(REPO, 'biome.jsonc'), 'utf8')
  const json = text
    .split('\n')
    .filter((l) => !l.trim().startsWith('//'))
    .join('\n')
  return JSON.parse(json)
}

describe('layering lint (biome.jsonc noRestrictedImports)', () => {
  let root = ''
  const expected = new Set<string>()

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'wren-layering-'))
    await writeFile(join(root, 'biome.jsonc'), await readFile(join(REPO, 'biome.jsonc')))
    const files = new Map<string, string[]>()
    for (const c of cases) {
      const lines = files.get(c.file) ?? []
      lines.push(c.line)
      files.set(c.file, lines)
      if (c.forbidden) expected.add(`${c.file}:${lines.length}`)
    }
    for (const [file, lines] of files) {
      await mkdir(dirname(join(root, file)), { recursive: true })
      await writeFile(join(root, file), `${lines.join('\n')}\n`)
    }
  })

  after(async () => {
    if (root !== '') await rm(root, { recursive: true, force: true })
  })

  test('Biome flags exactly the forbidden imports of the fixture tree and fails', async () => {
    const { code, flagged } = await lintFixtures(root)
    const lineOf = (key: string) => {
      const [file, n] = key.split(':')
      const c = cases.filter((x) => x.file === file)[Number(n) - 1]
      return `${key}  ${c?.line ?? '?'}`
    }
    const missed = [...expected].filter((k) => !flagged.has(k)).map(lineOf)
    const extra = [...flagged].filter((k) => !expected.has(k)).map(lineOf)
    assert.deepEqual(missed, [], 'forbidden imports the lint let through')
    assert.deepEqual(extra, [], 'allowed imports the lint flagged')
    assert.notEqual(code, 0, 'a forbidden import fails the lint (non-zero exit)')
  })

  test('no domain file imports rpc/, and no allow-list lets one (the restructure removed it)', async () => {
    const config = await readConfig()
    const allowListed = config.overrides
      .flatMap((o) => o.includes ?? [])
      .filter((p) => /^node\/src\/(messaging|groups|p2p|storage)\/[^*]+\.ts$/.test(p))
    assert.deepEqual(allowListed, [], 'no domain file is exempted from the layering rule in biome.jsonc')
  })
})
