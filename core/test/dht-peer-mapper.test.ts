import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { cachedNetworks, dhtPeerMapper, insideNetworks, networksOf } from '../src/dht-peer-mapper.ts'

const ADDRS = [
  '/ip4/127.0.0.1/tcp/4001',
  '/ip6/::1/tcp/4001',
  '/ip4/192.168.1.7/tcp/4001',
  '/ip4/192.168.2.2/tcp/4001',
  '/ip4/10.0.0.5/tcp/4001/ws',
  '/ip4/11.77.0.1/tcp/4001',
  '/ip4/11.77.0.1/tcp/4001/p2p/12D3KooWAN5rk762a8jwctACWxwcopapjHmAXDjHY45sMdFDvPbU/p2p-circuit',
  '/ip4/192.168.1.9/tcp/4001/p2p/12D3KooWAN5rk762a8jwctACWxwcopapjHmAXDjHY45sMdFDvPbU/p2p-circuit',
]

async function mapped(mapper: ReturnType<typeof dhtPeerMapper>): Promise<string[]> {
  const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  return mapper({ id, multiaddrs: ADDRS.map((a) => multiaddr(a)) }).multiaddrs.map((a) => a.toString())
}

test('the LAN DHT keeps loopback and private addresses inside its own networks only; never relayed ones', async () => {
  const lan = dhtPeerMapper('lan', { localNetworks: () => ['127.0.0.1/8', '::1/128', '192.168.1.2/24'] })
  assert.deepEqual(await mapped(lan), [
    '/ip4/127.0.0.1/tcp/4001',
    '/ip6/::1/tcp/4001',
    '/ip4/192.168.1.7/tcp/4001',
  ])
})

test('the LAN DHT reads its networks at each mapping (interfaces come and go)', async () => {
  let networks = ['192.168.1.2/24']
  const lan = dhtPeerMapper('lan', { localNetworks: () => networks })
  assert.ok((await mapped(lan)).includes('/ip4/192.168.1.7/tcp/4001'))
  networks = ['10.0.0.1/8']
  const now = await mapped(lan)
  assert.ok(now.includes('/ip4/10.0.0.5/tcp/4001/ws'))
  assert.ok(!now.includes('/ip4/192.168.1.7/tcp/4001'))
})

test('without local networks the LAN DHT keeps every private address', async () => {
  assert.deepEqual(await mapped(dhtPeerMapper('lan')), [
    '/ip4/127.0.0.1/tcp/4001',
    '/ip6/::1/tcp/4001',
    '/ip4/192.168.1.7/tcp/4001',
    '/ip4/192.168.2.2/tcp/4001',
    '/ip4/10.0.0.5/tcp/4001/ws',
  ])
})

test('the WAN DHT keeps public, non-relayed addresses only', async () => {
  assert.deepEqual(await mapped(dhtPeerMapper('wan')), ['/ip4/11.77.0.1/tcp/4001'])
})

test('networksOf lists every interface CIDR; insideNetworks ignores malformed CIDRs', () => {
  const networks = networksOf({
    lo: [{ cidr: '127.0.0.1/8' }, { cidr: '::1/128' }],
    eth0: [{ cidr: '192.168.1.2/24' }, { cidr: null }],
    down: undefined,
  })
  assert.deepEqual(networks, ['127.0.0.1/8', '::1/128', '192.168.1.2/24'])
  assert.equal(insideNetworks('192.168.1.200', networks), true)
  assert.equal(insideNetworks('192.168.3.1', networks), false)
  assert.equal(insideNetworks('192.168.1.1', ['not a cidr', '192.168.1.0/24']), true)
})

test('cachedNetworks reads again only after its time to live', () => {
  let reads = 0
  let clock = 0
  const networks = cachedNetworks(
    () => {
      reads++
      return [`10.0.${reads}.0/24`]
    },
    () => clock,
    1_000,
  )
  assert.deepEqual(networks(), ['10.0.1.0/24'])
  clock = 999
  assert.deepEqual(networks(), ['10.0.1.0/24'])
  clock = 1_000
  assert.deepEqual(networks(), ['10.0.2.0/24'])
  assert.equal(reads, 2)
})
