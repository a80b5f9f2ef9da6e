/**
 * The scenario's network section as a link model for the simulated transport: one set of
 * conditions for every link, or per-link values drawn once per run from the `perLink` ranges.
 * A pair's draw depends only on the seed and the two peer ids (not on which side dialled, nor
 * on the order links open), so the same seed gives every link the same conditions.
 */
import { createHash } from 'node:crypto'
import type { LinkConditions, LinkModel } from './link-schedule.ts'
import type { Scenario } from './scenario.ts'

/** Two uniform numbers in [0, 1) from a hash of the seed and the unordered pair. */
function pairUniforms(seed: string, a: string, b: string): [number, number] {
  const [lo, hi] = a < b ? [a, b] : [b, a]
  const digest = createHash('sha256').update(`wren-sim-link\0${seed}\0${lo}\0${hi}`).digest()
  return [digest.readUInt32BE(0) / 2 ** 32, digest.readUInt32BE(4) / 2 ** 32]
}

const within = (range: { min: number; max: number }, u: number) => range.min + (range.max - range.min) * u

export function linkModelOf(network: Scenario['network'], seed: string): LinkModel {
  const base: LinkConditions = {
    latencyMs: network.latencyMs,
    jitterMs: network.jitterMs,
    loss: network.loss,
  }
  const perLink = network.perLink
  if (perLink === undefined || (perLink.latencyMs === undefined && perLink.loss === undefined))
    return () => base
  const drawn = new Map<string, LinkConditions>()
  return (from, to) => {
    const key = from < to ? `${from}|${to}` : `${to}|${from}`
    let link = drawn.get(key)
    if (link === undefined) {
      const [uLatency, uLoss] = pairUniforms(seed, from, to)
      link = {
        latencyMs:
          perLink.latencyMs === undefined ? base.latencyMs : Math.round(within(perLink.latencyMs, uLatency)),
        jitterMs: base.jitterMs,
        loss: perLink.loss === undefined ? base.loss : within(perLink.loss, uLoss),
      }
      drawn.set(key, link)
    }
    return link
  }
}
