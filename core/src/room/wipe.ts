/**
 * Zero a Double Ratchet state's secrets in place when a room ends. States are immutable values
 * that share key bytes with their predecessors (core/src/ratchet/state.ts), so this is done once,
 * on the last state, when no later state can need them. Best effort, as every wipe in JS: copies
 * made inside the crypto primitives are out of reach.
 */
import { wipe } from '../bytes.ts'
import type { RatchetState } from '../ratchet/index.ts'

export function wipeRatchetState(state: RatchetState | null): void {
  if (state === null) return
  wipe(state.rootKey, state.sendingRatchetKey.secretKey, state.associatedData)
  if (state.sendingChain !== null) wipe(state.sendingChain.chainKey)
  if (state.receivingChain !== null) {
    wipe(state.receivingChain.chainKey)
    for (const key of state.receivingChain.skipped.values()) wipe(key)
  }
  for (const chain of state.previousChains) for (const key of chain.skipped.values()) wipe(key)
}
