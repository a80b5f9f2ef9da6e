/** Subscribe a component to a store with a `state` getter and `subscribe`. */
import { useEffect, useState } from 'preact/hooks'

export interface Subscribable<S> {
  readonly state: S
  subscribe(listener: () => void): () => void
}

export function useStore<S>(store: Subscribable<S>): S {
  const [, setTick] = useState(0)
  const rendered = store.state
  useEffect(() => {
    const unsubscribe = store.subscribe(() => setTick((t) => t + 1))
    // the state may have changed between this render and the subscription
    if (store.state !== rendered) setTick((t) => t + 1)
    return unsubscribe
  }, [store])
  return rendered
}
