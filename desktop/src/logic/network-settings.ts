/**
 * The bootstrap and relay lists of the settings screen, edited as text (one multiaddr a line).
 * The daemon checks each address properly; this only splits, trims, de-duplicates and refuses
 * what is clearly not an address, so the error shows before a round trip.
 */

/** The daemon's MAX_NETWORK_PEERS: addresses kept per list. */
export const MAX_NETWORK_PEERS = 16

export type ParsedAddrList =
  | { readonly ok: true; readonly addrs: string[] }
  | { readonly ok: false; readonly error: string }

/** Lines → addresses: blank lines and lines starting with # are skipped, duplicates dropped. */
export function parseAddrList(text: string): ParsedAddrList {
  const addrs: string[] = []
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim()
    if (line === '' || line.startsWith('#')) continue
    if (!line.startsWith('/') || /\s/.test(line))
      return { ok: false, error: `Line ${i + 1} is not a multiaddr (like /ip4/…/tcp/…/p2p/…).` }
    if (!addrs.includes(line)) addrs.push(line)
  }
  if (addrs.length > MAX_NETWORK_PEERS)
    return { ok: false, error: `At most ${MAX_NETWORK_PEERS} addresses (${addrs.length} given).` }
  return { ok: true, addrs }
}

export function formatAddrList(addrs: readonly string[]): string {
  return addrs.join('\n')
}

/** Whether the saved list differs from what the running node uses (a restart is pending). */
export function needsRestart(saved: readonly string[], applied: readonly string[]): boolean {
  return saved.some((a) => !applied.includes(a))
}
