/**
 * The namespace topology fixture does what the network scenarios rely on: hosts on one switch
 * reach each other; a host behind a home router reaches a public host, which sees the router's
 * address (masquerade); nothing on the internet can open a connection into the home LAN, not
 * even a neighbour that routes the private subnet to the router; two homes cannot reach each
 * other's private addresses; and destroy() leaves no namespace or process behind.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { type Netns, type NetnsProcess, netnsOrSkip, PUBLIC_SUBNET, Topology } from './fixtures/netns.ts'

const execFileAsync = promisify(execFile)
/** TCP port of the probe servers (each namespace has its own port space). */
const PROBE_PORT = 7001
/** Bound on one probe connection, in ms: a SYN the router drops never gets an answer. */
const PROBE_CONNECT_TIMEOUT_MS = 1_500
/** Bound on a probe server starting, in ms. */
const PROBE_READY_MS = 10_000

const SERVER = `
const net = require('node:net')
const server = net.createServer((c) => { console.log('from ' + c.remoteAddress); c.end() })
server.listen(${PROBE_PORT}, '0.0.0.0', () => console.log('listening'))
`
const CLIENT = `
const net = require('node:net')
const [host] = process.argv.slice(1)
const c = net.connect({ host, port: ${PROBE_PORT}, timeout: ${PROBE_CONNECT_TIMEOUT_MS} })
c.on('connect', () => { console.log('connected'); c.end() })
c.on('timeout', () => { console.log('timeout'); process.exit(3) })
c.on('error', (e) => { console.log('error ' + e.code); process.exit(2) })
`

async function probeServer(ns: Netns): Promise<NetnsProcess> {
  const server = ns.spawn(process.execPath, ['-e', SERVER])
  await server.waitFor(/listening/, PROBE_READY_MS, 'stdout')
  return server
}

/** What a TCP connect from `ns` to host:PROBE_PORT ended with: 'connected', 'timeout' or 'error CODE'. */
async function connectFrom(ns: Netns, host: string): Promise<string> {
  const r = await ns.run(process.execPath, ['-e', CLIENT, host], { timeoutMs: PROBE_READY_MS })
  return r.stdout.trim() || `no output (exit ${r.code}): ${r.stderr}`
}

test('hosts on one switch reach each other by their LAN addresses', async (t) => {
  if (!(await netnsOrSkip(t))) return
  const topo = new Topology('fixlan')
  t.after(() => topo.destroy())
  const lan = await topo.switch('lan', '10.88.1.0/24')
  const a = await topo.host('a')
  const b = await topo.host('b')
  const aIp = await lan.attach(a)
  const bIp = await lan.attach(b)
  assert.deepEqual([aIp, bIp], ['10.88.1.1', '10.88.1.2'])

  const server = await probeServer(b)
  assert.equal(await connectFrom(a, bIp), 'connected')
  await server.waitFor(/from 10\.88\.1\.1/, PROBE_READY_MS, 'stdout')
  assert.equal(await connectFrom(a, '127.0.0.1'), 'error ECONNREFUSED', "a's loopback is its own")
})

test('behind a home router: out to the internet masqueraded, nothing from the internet gets in', async (t) => {
  if (!(await netnsOrSkip(t))) return
  const topo = new Topology('fixnat')
  t.after(() => topo.destroy())
  const internet = await topo.switch('internet', PUBLIC_SUBNET)
  const server = await topo.host('server')
  const serverIp = await internet.attach(server)
  const homeA = await topo.homeRouter('routera', internet, '192.168.1.0/24')
  const homeB = await topo.homeRouter('routerb', internet, '192.168.2.0/24')
  const alice = await topo.host('alice')
  const bob = await topo.host('bob')
  const aliceIp = await homeA.lan.attach(alice)
  const bobIp = await homeB.lan.attach(bob)
  assert.equal(aliceIp, '192.168.1.2')
  assert.equal(bobIp, '192.168.2.2')

  // out: alice reaches the public server, which sees her router's public address
  const atServer = await probeServer(server)
  assert.equal(await connectFrom(alice, serverIp), 'connected')
  const seen = await atServer.waitFor(/from (\S+)/, PROBE_READY_MS, 'stdout')
  assert.equal(seen[1], homeA.publicAddress, 'masqueraded to the router’s WAN address')

  // in: alice listens, but neither the server nor bob can open a connection to her
  await probeServer(alice)
  assert.equal(await connectFrom(alice, aliceIp), 'connected', 'her server is up')
  assert.match(await connectFrom(server, aliceIp), /^error E(NET|HOST)UNREACH$/, 'no route to a private LAN')
  assert.equal(
    await connectFrom(server, homeA.publicAddress),
    'error ECONNREFUSED',
    'no port forward: the router itself answers with a reset',
  )
  // a neighbour on the internet segment that routes 192.168.1.0/24 to the router is dropped
  await server.ip(['route', 'add', '192.168.1.0/24', 'via', homeA.publicAddress])
  assert.equal(await connectFrom(server, aliceIp), 'timeout', 'the router forwards inward only replies')
  assert.match(await connectFrom(bob, aliceIp), /^(timeout|error E(NET|HOST)UNREACH)$/)
})

test('destroy() ends the processes in the namespaces and deletes every namespace, even twice', async (t) => {
  if (!(await netnsOrSkip(t))) return
  const topo = new Topology('fixdel')
  const lan = await topo.switch('lan', '10.88.2.0/24')
  const a = await topo.host('a')
  await lan.attach(a)
  const server = await probeServer(a)
  const listed = async () =>
    (await execFileAsync('ip', ['netns', 'list'])).stdout
      .split('\n')
      .filter((line) => line.startsWith(`${topo.id}-`))
  assert.equal((await listed()).length, 2)
  await topo.destroy()
  await topo.destroy()
  assert.equal(server.running(), false)
  assert.deepEqual(await listed(), [])
  await assert.rejects(topo.host('late'), /destroyed/)
})
