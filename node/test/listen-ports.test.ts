/**
 * The profile's kept listen ports (node/src/app/listen-ports.ts): two distinct ports, kept across
 * calls; a kept pair that cannot both listen (the same port twice: picked one after the other,
 * the OS may hand one port out twice, and the daemon then failed with EADDRINUSE) is replaced.
 */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { LISTEN_PORTS_FILE, profileListenPorts } from '../src/app/listen-ports.ts'

let dir: string
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wren-ports-'))
})
after(async () => {
  await rm(dir, { recursive: true, force: true })
})

test('fresh ports are two distinct ones, written 0600 and kept on the next call', async () => {
  for (let i = 0; i < 20; i++) {
    const profile = join(dir, `p${i}`)
    await rm(profile, { recursive: true, force: true })
    await mkdir(profile, { mode: 0o700 })
    const ports = await profileListenPorts(profile)
    assert.notEqual(ports.tcpPort, ports.wsPort)
    if (i === 0) {
      assert.equal((await stat(join(profile, LISTEN_PORTS_FILE))).mode & 0o777, 0o600)
      assert.deepEqual(await profileListenPorts(profile), ports, 'kept')
    }
  }
})

test('a kept pair with the same port twice is replaced by two distinct ports', async () => {
  const profile = join(dir, 'same')
  await mkdir(profile, { mode: 0o700 })
  await writeFile(
    join(profile, LISTEN_PORTS_FILE),
    JSON.stringify({ version: 1, tcpPort: 45000, wsPort: 45000 }),
    {
      mode: 0o600,
    },
  )
  const ports = await profileListenPorts(profile)
  assert.notEqual(ports.tcpPort, ports.wsPort)
  const written = JSON.parse(await readFile(join(profile, LISTEN_PORTS_FILE), 'utf8'))
  assert.deepEqual({ tcpPort: written.tcpPort, wsPort: written.wsPort }, ports)
})
