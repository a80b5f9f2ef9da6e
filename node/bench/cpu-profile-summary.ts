/**
 * Summarise a V8 .cpuprofile (node --cpu-prof) for the benchmark reports: self time by function
 * and by package/folder, and inclusive time of functions whose name matches a filter.
 *
 * Usage: node node/bench/cpu-profile-summary.ts FILE.cpuprofile [--top N] [--match REGEX]
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

const file = process.argv[2]
if (file === undefined)
  throw new Error('usage: cpu-profile-summary.ts FILE.cpuprofile [--top N] [--match REGEX]')
const topIndex = process.argv.indexOf('--top')
const top = topIndex > 0 ? Number(process.argv[topIndex + 1]) : 25
const matchIndex = process.argv.indexOf('--match')
const match = matchIndex > 0 ? new RegExp(process.argv[matchIndex + 1] ?? '') : null

const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const parent = new Map<number, number>()
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
const selfUs = new Map<number, number>()
profile.samples.forEach((id, i) => {
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
})
const totalUs = profile.endTime - profile.startTime

function where(url: string): string {
  if (url === '') return '(native/vm)'
  const nm = url.lastIndexOf('node_modules/')
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/')
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url)
  }
  if (url.startsWith('node:')) return url
  const repo = url.indexOf('/work/main/')
  return repo >= 0 ? url.slice(repo + '/work/main/'.length).replace(/\/[^/]+$/, '/') : url
}

const label = (n: ProfileNode) =>
  `${n.callFrame.functionName || '(anonymous)'} ${where(n.callFrame.url)}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`
const fnSelf = new Map<string, number>()
const pkgSelf = new Map<string, number>()
for (const [id, us] of selfUs) {
  const n = byId.get(id) as ProfileNode
  fnSelf.set(label(n), (fnSelf.get(label(n)) ?? 0) + us)
  const pkg = n.callFrame.functionName === '(idle)' ? '(idle)' : where(n.callFrame.url)
  pkgSelf.set(pkg, (pkgSelf.get(pkg) ?? 0) + us)
}
const pct = (us: number) =>
  `${((100 * us) / totalUs).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(7)} ms`
const print = (title: string, m: Map<string, number>) => {
  console.log(`\n${title}`)
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)}  ${k}`)
}
console.log(`${file}: ${(totalUs / 1000).toFixed(0)} ms profiled`)
print('self time by package / folder', pkgSelf)
print('self time by function', fnSelf)
if (match !== null) {
  // inclusive time: a sample counts once for every distinct matching frame on its stack
  const incl = new Map<string, number>()
  profile.samples.forEach((id, i) => {
    const seen = new Set<string>()
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur) as ProfileNode
      const l = label(n)
      if (match.test(l) && !seen.has(l)) {
        seen.add(l)
        incl.set(l, (incl.get(l) ?? 0) + (profile.timeDeltas[i] ?? 0))
      }
    }
  })
  print(`inclusive time of frames matching ${match}`, incl)
}
