/**
 * Where the RPC methods live, read from the source tree: every method of the API is registered
 * in node/src/rpc/handlers and nowhere else, and no import cycle passes through the daemon, the
 * node (app/) or the RPC layer (the daemon hosts the node without importing it; only the
 * composition root daemon/main.ts joins them). Biome's rules say the same per import
 * (biome.jsonc, test/layering-lint.test.ts); this reads the whole graph.
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
/** Folders whose modules must be on no import cycle. */
const ACYCLIC = ['app/', 'daemon/', 'rpc/']
const COMPOSITION_ROOT = 'daemon/main.ts'

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

/** Strongly connected components with more than one module (or a self-import): the cycles. */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0
  const indices = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (v: string) => {
    indices.set(v, index)
    low.set(v, index)
    index++
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!indices.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, indices.get(w) ?? 0))
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = []
      let w: string | undefined
      do {
        w = stack.pop()
        if (w === undefined) break
        onStack.delete(w)
        component.push(w)
      } while (w !== v)
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort())
    }
  }
  for (const v of graph.keys()) if (!indices.has(v)) visit(v)
  return found
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

  test('no import cycle passes through daemon/, app/ or rpc/; daemon/ imports app/ only in its composition root', async () => {
    const tree = await readTree()
    const graph = new Map([...tree].map(([file, source]) => [file, importsOf(file, source)]))
    assert.ok((graph.get('daemon/daemon.ts') ?? []).includes('rpc/server.ts'), 'the import scan reads')
    const through = cycles(graph).filter((c) => c.some((f) => ACYCLIC.some((d) => f.startsWith(d))))
    assert.deepEqual(through, [], 'import cycles through daemon/, app/ or rpc/')
    const daemonToApp = [...graph]
      .filter(([file]) => file.startsWith('daemon/') && file !== COMPOSITION_ROOT)
      .flatMap(([file, imports]) => imports.filter((i) => i.startsWith('app/')).map((i) => `${file} → ${i}`))
    assert.deepEqual(daemonToApp, [], 'daemon/ imports app/ outside the composition root')
  })
})
