/**
 * Summarise a V8 .cpuprofile (from `node --cpu-prof` or a bench's --cpu-prof): self time by
 * function and by package or source folder, the top entries of each.
 *
 * Usage: node scripts/cpuprofile-top.ts f.cpuprofile [--top 30]
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}
interface Profile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

const file = process.argv[2]
if (file === undefined) throw new Error('usage: node scripts/cpuprofile-top.ts f.cpuprofile [--top 30]')
const topIndex = process.argv.indexOf('--top')
const top = topIndex > 0 ? Number(process.argv[topIndex + 1]) : 30
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const selfUs = new Map<number, number>()
for (const [i, id] of profile.samples.entries())
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0))

/** A package name, or our source folder, for a script url. */
function area(url: string): string {
  if (url === '') return '(native/idle)'
  const nm = url.lastIndexOf('node_modules/')
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/')
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url)
  }
  if (url.startsWith('node:')) return url
  const m = url.match(/\/(core|node|relay-node|test)\/(src|bench|fixtures)\/([^/]+)/)
  return m ? `${m[1]}/${m[2]}/${m[3]}` : url
}

const fnTotals = new Map<string, number>()
const areaTotals = new Map<string, number>()
let total = 0
for (const [id, us] of selfUs) {
  const n = byId.get(id)
  if (n === undefined) continue
  total += us
  const { functionName, url, lineNumber } = n.callFrame
  const key = `${functionName || '(anonymous)'}  ${area(url)}:${lineNumber + 1}`
  fnTotals.set(key, (fnTotals.get(key) ?? 0) + us)
  const a = area(url)
  areaTotals.set(a, (areaTotals.get(a) ?? 0) + us)
}
const print = (title: string, m: Map<string, number>) => {
  console.log(`\n${title}`)
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(
      `${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}`,
    )
}
console.log(
  `profile ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s, samples ${(total / 1e6).toFixed(1)} s`,
)
print('self time by area', areaTotals)
print('self time by function', fnTotals)
