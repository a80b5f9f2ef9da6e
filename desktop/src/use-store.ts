/** Subscribe a component to a store with a `state` getter and `subscribe`. */
import { useEffect, useState } from 'preact/hooks'

export interface Subscribable<S> {
  readonly state: S
  subscribe(listener: () => void): () => void
}

export function useStore<S>(store: Subscribable<S>): S {
  const [, setTick] = useState(0)
  useEffect(() => store.subscribe(() => setTick((t) => t + 1)), [store])
  return store.state
}
