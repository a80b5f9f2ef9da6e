/**
 * The room's own short-lived libp2p host: the production configuration (createWrenHost: TCP,
 * WebSockets, circuit relay, noise, yamux, both DHTs, AutoNAT, DCUtR) with a fresh random key
 * (a new PeerId per room, never stored) and the default in-memory datastore. Bootstrapped from
 * the relays given to `wren room`; mDNS only when none is given (then the LAN is all it can reach).
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Libp2p } from '@libp2p/interface'
import { createWrenHost, type WrenServices } from '../p2p/host.ts'

export async function createRoomHost(bootstrap: readonly string[]): Promise<Libp2p<WrenServices>> {
  return createWrenHost({
    privateKey: await generateKeyPair('Ed25519'),
    bootstrap: [...bootstrap],
    // with relays, nothing is announced locally; with none, mDNS is the only way to meet (a LAN)
    mdns: bootstrap.length === 0,
  })
}
