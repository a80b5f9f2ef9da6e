/**
 * No import cycles, anywhere in the repository: Biome's `suspicious/noImportCycles` rule is on in
 * biome.jsonc as an error, type-only imports included (`ignoreTypes: false`), so `npm run lint`
 * (part of `npm test`) fails on a cycle. Here Biome runs with the repository's configuration
 * (1) on a fixture tree in a temporary folder, where the imports on a cycle — a runtime one over
 * three modules, a type-only one over two — must be exactly the flagged lines and the run must
 * fail, while an acyclic chain passes; and (2) on the repository's own tree, which must have no
 * cycle (the ones found are listed, file and line).
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, describe, test } from 'node:test'

const REPO = join(import.meta.dirname, '..')
const BIOME = join(REPO, 'node_modules/.bin/biome')
const RULE = 'suspicious/noImportCycles'
const CATEGORY = `lint/${RULE}`
/** Bound on one Biome run, in ms: the whole repository takes about 2 s on a shared core. */
const BIOME_TIMEOUT_MS = 120_000
/** Biome's JSON report: a few KiB here; the cap only guards the test. */
const MAX_REPORT_BYTES = 16 * 1024 * 1024

/** Fixture file → its lines; `cycle` marks an import line that lies on a cycle. */
interface Line {
  readonly text: string
  readonly cycle: boolean
}
const onCycle = (text: string): Line => ({ text, cycle: true })
const plain = (text: string): Line => ({ text, cycle: false })
const fixture: Record<string, Line[]> = {
  // a runtime cycle over three modules: a → b → c → a
  'node/src/x/a.ts': [onCycle("import { b } from './b.ts'"), plain('export const a = (): number => b() + 1')],
  'node/src/x/b.ts': [
    onCycle("import { c } from '../y/c.ts'"),
    plain('export const b = (): number => c() + 1'),
  ],
  'node/src/y/c.ts': [
    onCycle("import { a } from '../x/a.ts'"),
    plain('export const c = (): number => (a.length > 1 ? 0 : 1)'),
  ],
  // a type-only cycle over two modules (erased at run time, still a cycle of the design)
  'core/src/p.ts': [onCycle("import type { Q } from './q.ts'"), plain('export interface P { q?: Q }')],
  'core/src/q.ts': [onCycle("import type { P } from './p.ts'"), plain('export interface Q { p?: P }')],
  // an acyclic chain: u → v → w, and u → w
  'node/src/z/u.ts': [
    plain("import { v } from './v.ts'"),
    plain("import { w } from './w.ts'"),
    plain('export const u = v + w'),
  ],
  'node/src/z/v.ts': [plain("import { w } from './w.ts'"), plain('export const v = w + 1')],
  'node/src/z/w.ts': [plain('export const w = 1')],
}

interface Diagnostic {
  category?: string
  location?: { path?: unknown; start?: { line?: number } }
}

/** Biome's noImportCycles diagnostics under `cwd`: exit code and the (file:line) it flagged. */
function lintCycles(cwd: string, extra: string[]): Promise<{ code: number; flagged: string[] }> {
  return new Promise((resolve, reject) => {
    execFile(
      BIOME,
      ['lint', `--only=${RULE}`, '--reporter=json', '--max-diagnostics=none', ...extra, '.'],
      { cwd, timeout: BIOME_TIMEOUT_MS, maxBuffer: MAX_REPORT_BYTES },
      (error, stdout) => {
        if (error && typeof error.code !== 'number') return reject(error)
        let report: { diagnostics?: Diagnostic[] }
        try {
          report = JSON.parse(stdout)
        } catch {
          return reject(new Error(`biome printed no JSON report: ${stdout.slice(0, 500)}`))
        }
        const flagged = (report.diagnostics ?? [])
          .filter((d) => d.category === CATEGORY)
          .map((d) => {
            const path =
              typeof d.location?.path === 'string' ? d.location.path : JSON.stringify(d.location?.path)
            return `${path.replace(/^\.\//, '')}:${d.location?.start?.line}`
          })
          .sort()
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, flagged })
      },
    )
  })
}

describe('no import cycles (biome.jsonc suspicious/noImportCycles)', () => {
  let root = ''

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'wren-cycles-'))
    await writeFile(join(root, 'biome.jsonc'), await readFile(join(REPO, 'biome.jsonc')))
    for (const [file, lines] of Object.entries(fixture)) {
      await mkdir(dirname(join(root, file)), { recursive: true })
      await writeFile(join(root, file), `${lines.map((l) => l.text).join('\n')}\n`)
    }
  })

  after(async () => {
    if (root !== '') await rm(root, { recursive: true, force: true })
  })

  test('a cycle fails the lint: exactly the imports on a cycle are flagged, type-only ones too', async () => {
    const expected = Object.entries(fixture)
      .flatMap(([file, lines]) => lines.map((l, i) => (l.cycle ? `${file}:${i + 1}` : '')))
      .filter((k) => k !== '')
      .sort()
    const { code, flagged } = await lintCycles(root, ['--vcs-enabled=false'])
    assert.deepEqual(flagged, expected)
    assert.notEqual(code, 0, 'an import cycle fails the lint (non-zero exit)')
  })

  test('the repository has no import cycle', async () => {
    const { code, flagged } = await lintCycles(REPO, [])
    assert.deepEqual(flagged, [], 'imports on a cycle (file:line)')
    assert.equal(code, 0)
  })
})
