/**
 * Where the RPC methods live, read from the source tree: every method of the API is registered
 * in node/src/rpc/handlers and nowhere else, and daemon/ (the process entry) is imported by
 * nothing in node/src (it imports app/, the runtime, never the reverse). Biome's rules say the
 * same per import (biome.jsonc, test/layering-lint.test.ts); this reads the whole graph. That
 * the graph has no cycle at all is test/import-cycles.test.ts.
 */
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, test } from 'node:test'
import { type MethodName, methods } from '../src/rpc/api.ts'

const SRC = join(import.meta.dirname, '../src')
const HANDLERS_DIR = 'rpc/handlers/'
/** The one declaration of the methods (keys of `methods`), not a registration. */
const API_DECLARATION = 'rpc/api.ts'
const DAEMON_DIR = 'daemon/'

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await sourceFiles(path)))
    else if (entry.name.endsWith('.ts')) out.push(path)
  }
  return out
}

/** node/src files (relative to node/src) → their source. */
async function readTree(): Promise<Map<string, string>> {
  const tree = new Map<string, string>()
  for (const file of await sourceFiles(SRC)) tree.set(relative(SRC, file), await readFile(file, 'utf8'))
  return tree
}

/** The node/src modules a file imports (static imports and re-exports, type-only ones too). */
function importsOf(file: string, source: string): string[] {
  const out: string[] = []
  for (const m of source.matchAll(/(?:^|\n)\s*(?:import|export)\s(?:[^'";]*?\sfrom\s)?'(\.[^']+)'/g)) {
    const target = relative(SRC, resolve(SRC, dirname(file), m[1] ?? ''))
    if (!target.startsWith('..')) out.push(target)
  }
  return out
}

describe('RPC handlers: registered once, in rpc/handlers', () => {
  test('no file outside node/src/rpc/handlers writes a handler for an API method', async () => {
    const names = Object.keys(methods) as MethodName[]
    const escaped = names.map((n) => n.replace('.', '\\.')).join('|')
    // an object key or a computed member naming a method: 'contacts.add': … / ['contacts.add'] =
    const registration = new RegExp(`(['"\`])(${escaped})\\1\\s*:|\\[\\s*(['"\`])(${escaped})\\3\\s*\\]\\s*=`)
    const offenders: string[] = []
    const registeredIn = new Map<MethodName, string[]>()
    for (const [file, source] of await readTree()) {
      if (file === API_DECLARATION) continue
      if (file.startsWith(HANDLERS_DIR)) {
        for (const name of names)
          if (source.includes(`'${name}':`)) registeredIn.set(name, [...(registeredIn.get(name) ?? []), file])
        continue
      }
      const hit = registration.exec(source)
      if (hit) offenders.push(`${file}: ${hit[2] ?? hit[4]}`)
    }
    assert.deepEqual(offenders, [], 'handlers written outside node/src/rpc/handlers')
    const missing = names.filter((n) => (registeredIn.get(n) ?? []).length !== 1)
    assert.deepEqual(missing, [], 'methods not written exactly once in node/src/rpc/handlers')
  })

  test('the scan recognises a handler written elsewhere (it is not vacuous)', () => {
    const names = Object.keys(methods)
      .map((n) => n.replace('.', '\\.'))
      .join('|')
    const registration = new RegExp(`(['"\`])(${names})\\1\\s*:|\\[\\s*(['"\`])(${names})\\3\\s*\\]\\s*=`)
    assert.match("  'contacts.add': async ({ card }) => add(card),", registration)
    assert.match("handlers['messages.send'] = send", registration)
    assert.doesNotMatch("await client.call('contacts.add', { card })", registration)
  })

  test('nothing in node/src outside daemon/ imports daemon/ (app/ is the runtime it launches)', async () => {
    const tree = await readTree()
    const graph = new Map([...tree].map(([file, source]) => [file, importsOf(file, source)]))
    assert.ok((graph.get('daemon/main.ts') ?? []).includes('app/node-lifecycle.ts'), 'the import scan reads')
    const intoDaemon = [...graph]
      .filter(([file]) => !file.startsWith(DAEMON_DIR))
      .flatMap(([file, imports]) =>
        imports.filter((i) => i.startsWith(DAEMON_DIR)).map((i) => `${file} → ${i}`),
      )
    assert.deepEqual(intoDaemon, [], 'imports of daemon/ from outside it')
  })
})
