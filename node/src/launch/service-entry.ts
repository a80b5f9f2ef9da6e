/**
 * The file a launcher hands to Node to run a Wren service (the daemon): its TypeScript sources
 * bundled into one ES module under dist/services/, dependencies left as imports of node_modules.
 *
 * Why a bundle: Node 24 runs .ts files by stripping their types with a WebAssembly compiler
 * (amaro) that it loads on the first .ts import and keeps for the life of the process. Measured
 * on a fresh unlocked daemon after a forced GC: 126–127 MB RSS run from the sources, 102 MB from
 * the bundle (the compiler's memory and the per-module wrappers of ~230 source files). A daemon
 * runs all day, so it runs the bundle.
 *
 * Every launcher (desktop, `wren daemon`, tests, benches, demo) calls daemonEntry(), so tests run
 * what users run. The bundle is rebuilt once per launcher process (esbuild, ~0.1 s) and written
 * only when its bytes changed, through a temporary file and a rename, so launchers running at
 * the same moment never see half a file and an edit to a source is never run stale. Where
 * esbuild is absent (an install without dev dependencies) the launcher runs the sources.
 */
import { randomUUID } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** The daemon's process entry, as sources. */
export const DAEMON_SOURCE = join(REPO_ROOT, 'node/src/daemon/main.ts')
/** Where the daemon's bundle is written (dist/ is ignored by git). */
export const DAEMON_BUNDLE = join(REPO_ROOT, 'dist/services/daemon.mjs')

/** The launcher's build of each entry, made once per process. */
const built = new Map<string, Promise<string>>()

/** The file to run for the daemon: its bundle, built now if this process has not yet. */
export function daemonEntry(): Promise<string> {
  return entryFor(DAEMON_SOURCE, DAEMON_BUNDLE)
}

function entryFor(source: string, bundle: string): Promise<string> {
  let pending = built.get(bundle)
  if (pending === undefined) {
    pending = buildBundle(source, bundle)
    built.set(bundle, pending)
  }
  return pending
}

/**
 * Bundle `source` into `bundle` (written only if its bytes changed) and return the path to run:
 * `bundle`, or `source` itself when esbuild is not installed.
 */
export async function buildBundle(source: string, bundle: string): Promise<string> {
  let esbuild: typeof import('esbuild')
  try {
    esbuild = await import('esbuild')
  } catch {
    return source
  }
  const result = await esbuild.build({
    entryPoints: [source],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    packages: 'external',
    write: false,
    outfile: bundle,
    logLevel: 'silent',
  })
  const output = result.outputFiles[0]
  if (output === undefined) throw new Error(`esbuild wrote nothing for ${source}`)
  const contents = Buffer.from(asciiOnly(output.text), 'latin1')
  const existing = await readFile(bundle).catch(() => undefined)
  if (existing === undefined || !contents.equals(existing)) {
    await mkdir(dirname(bundle), { recursive: true })
    const temporary = `${bundle}.${randomUUID()}.tmp`
    await writeFile(temporary, contents)
    await rename(temporary, bundle)
  }
  return bundle
}

/**
 * The bundle with every non-ASCII UTF-16 unit written as a \uXXXX escape. esbuild escapes
 * non-ASCII in identifiers and strings, but keeps it in the comments it preserves (doc comments of
 * class fields: "→", "≤") and in regular expression literals (/ß/). One such character makes V8
 * hold the whole source, which stays in the heap for the life of the process, as a two-byte
 * string: the 1.3 MB bundle took 2.6 MB of an idle daemon's heap. An escape means the same
 * character in a string, a template, a regular expression (with or without the u flag: a
 * surrogate pair of escapes is one code point) and, in a comment, nothing.
 */
export function asciiOnly(source: string): string {
  return source.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
