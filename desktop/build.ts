/**
 * Bundles the desktop shell with esbuild into desktop/dist/: index.html, app.js (minified ESM),
 * call-worker.js (the call media worker: frame encryption, a classic worker script) and app.css (palette variables from src/logic/palette.ts + the stylesheets in STYLESHEETS).
 *
 *   node desktop/build.ts            production bundle into desktop/dist/
 *   node desktop/build.ts --preview  preview harness (canned data, no daemon) into desktop/dist/preview/
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { paletteCss } from './src/logic/palette.ts'

const here = dirname(fileURLToPath(import.meta.url))
export const DIST_DIR = join(here, 'dist')
export const PREVIEW_DIST_DIR = join(DIST_DIR, 'preview')
/** Browsers the bundle targets: the Chromium the shell opens, and current evergreen browsers. */
const TARGETS = ['chrome120', 'firefox121', 'safari17']
/** Stylesheets under src/, concatenated in this order after the palette. */
const STYLESHEETS = [
  'styles.css',
  'groups.css',
  'calls.css',
  'messages.css',
  'search.css',
  'rooms.css',
  'devices.css',
]

export interface BuildResult {
  readonly outdir: string
  /** Bytes of each emitted file, raw and gzipped. */
  readonly files: ReadonlyArray<{ name: string; bytes: number; gzipBytes: number }>
  readonly gzipTotal: number
}

export async function buildDesktop(
  options: { preview?: boolean; minify?: boolean } = {},
): Promise<BuildResult> {
  const preview = options.preview ?? false
  const outdir = preview ? PREVIEW_DIST_DIR : DIST_DIR
  await mkdir(outdir, { recursive: true })
  const result = await build({
    entryPoints: [join(here, preview ? 'preview/preview.tsx' : 'src/main.tsx')],
    bundle: true,
    format: 'esm',
    target: TARGETS,
    minify: options.minify ?? true,
    sourcemap: false,
    legalComments: 'none',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    define: { 'process.env.NODE_ENV': '"production"' },
    write: false,
    outfile: join(outdir, 'app.js'),
    logLevel: 'silent',
  })
  const js = result.outputFiles[0]!.contents
  const worker = preview
    ? null
    : (
        await build({
          entryPoints: [join(here, 'src/call-worker.ts')],
          bundle: true,
          format: 'iife',
          target: TARGETS,
          minify: options.minify ?? true,
          legalComments: 'none',
          write: false,
          outfile: join(outdir, 'call-worker.js'),
          logLevel: 'silent',
        })
      ).outputFiles[0]!.contents
  const sheets = await Promise.all(STYLESHEETS.map((name) => readFile(join(here, 'src', name), 'utf8')))
  const css = [paletteCss(), ...sheets].join('\n')
  const html = await readFile(join(here, 'src/index.html'), 'utf8')
  const outputs: Array<[string, Uint8Array | string]> = [
    ['index.html', html],
    ['app.js', js],
    ['app.css', css],
  ]
  if (worker !== null) outputs.push(['call-worker.js', worker])
  const files = []
  for (const [name, data] of outputs) {
    await writeFile(join(outdir, name), data)
    const bytes = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength
    files.push({ name, bytes, gzipBytes: gzipSync(data, { level: 9 }).byteLength })
  }
  return { outdir, files, gzipTotal: files.reduce((s, f) => s + f.gzipBytes, 0) }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await buildDesktop({ preview: process.argv.includes('--preview') })
  for (const f of r.files)
    process.stdout.write(`${f.name.padEnd(12)} ${String(f.bytes).padStart(8)} B  gzip ${f.gzipBytes} B\n`)
  process.stdout.write(`total gzip   ${(r.gzipTotal / 1024).toFixed(1)} KiB → ${r.outdir}\n`)
}
