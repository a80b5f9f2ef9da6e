/** What each relay served during a run, read from its Prometheus metrics endpoint at the end. */
import type { SimRelay } from '../harness.ts'
import type { RelayLoad } from '../metrics.ts'

/** Bound on one scrape of a relay's metrics endpoint (on 127.0.0.1). */
const SCRAPE_TIMEOUT_MS = 5_000

export async function scrapeRelay(relay: SimRelay): Promise<RelayLoad> {
  const load: RelayLoad = {
    relay: relay.index,
    deposits: 0,
    fetches: 0,
    registrations: 0,
    prekeysClaimed: 0,
    connections: 0,
    storedEnvelopes: 0,
  }
  const url = relay.metricsUrl
  if (url === undefined) return load
  const text = await fetch(url, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) })
    .then((r) => r.text())
    .catch(() => '')
  const value = (name: string) => {
    let sum = 0
    for (const line of text.split('\n')) {
      if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.split(' ').pop())
    }
    return sum
  }
  load.deposits = value('wren_relay_mailbox_deposits_total')
  load.fetches = value('wren_relay_mailbox_fetches_total')
  load.registrations = value('wren_relay_mailbox_registrations_total')
  load.prekeysClaimed = value('wren_relay_mailbox_prekeys_claimed_total')
  load.connections = value('wren_relay_connections')
  load.storedEnvelopes = value('wren_relay_mailbox_stored_envelopes')
  return load
}
