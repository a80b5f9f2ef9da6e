/**
 * The daemon's attachments endpoint (node/src/rpc/handlers/attachments-http.ts) over real HTTP
 * to two real daemons: alice uploads (her cap lowered to 2 MiB with --max-upload-mb), bob reads
 * what arrived. Every refusal is a clear status with a JSON error, and leaves nothing behind:
 * no copy under the profile's uploads/ folder, no message in the conversation.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import { type IncomingHttpHeaders, request } from 'node:http'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Attachment, Message } from '../node/src/rpc/api.ts'
import type { WrenClient } from '../node/src/rpc/client.ts'
import type { RpcError } from '../node/src/rpc/errors.ts'
import { type ChatPeer, eventually, startPeer } from './fixtures/chat.ts'
import { seededPng } from './fixtures/png.ts'
import { seededRandom } from './fixtures/seeded-random.ts'

const MIB = 1024 * 1024
/** Alice's upload cap in these tests (--max-upload-mb). */
const UPLOAD_CAP_MB = 2
/** Bob fetches files up to 1 MiB unasked (--auto-download-mb); bigger ones wait as offered. */
const AUTO_DOWNLOAD_MB = 1
/** Bound on a transfer between the two daemons over loopback. */
const TRANSFER_TIMEOUT_MS = 60_000

interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

/** One HTTP request to a daemon; resolves with the answer, or rejects when the connection breaks. */
function call(
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: Buffer | Buffer[] },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers,
      },
      (res) => {
        const parts: Buffer[] = []
        res.on('data', (d: Buffer) => parts.push(d))
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }),
        )
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    const parts =
      options.body === undefined ? [] : Array.isArray(options.body) ? options.body : [options.body]
    for (const p of parts) req.write(p)
    req.end()
  })
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
const bearer = (peer: ChatPeer) => ({ authorization: `Bearer ${peer.daemon.token}` })
const json = (a: Answer) => JSON.parse(a.body.toString('utf8')) as { error: string; message: string }

function uploadPath(to: { userId: string }, name: string, caption?: string): string {
  const q = new URLSearchParams({ conversationId: `dm:${to.userId}`, name })
  if (caption !== undefined) q.set('caption', caption)
  return `/attachments?${q}`
}

async function upload(from: ChatPeer, to: ChatPeer, name: string, body: Buffer): Promise<Message> {
  const answer = await call(from.daemon.rpcPort, {
    method: 'POST',
    path: uploadPath(to, name),
    headers: { ...bearer(from), 'content-type': 'application/octet-stream' },
    body,
  })
  assert.equal(answer.status, 200, answer.body.toString())
  return (JSON.parse(answer.body.toString()) as { message: Message }).message
}

async function attachmentState(client: WrenClient, messageId: string): Promise<Attachment | undefined> {
  return client.call('attachments.get', { messageId }).catch((e: RpcError) => {
    if (e.errorName === 'NOT_FOUND') return undefined
    throw e
  })
}

async function reached(client: WrenClient, messageId: string, state: Attachment['state']): Promise<void> {
  await eventually(
    `file of ${messageId} ${state}`,
    async () => ((await attachmentState(client, messageId))?.state === state ? true : undefined),
    TRANSFER_TIMEOUT_MS,
  )
}

describe('the attachments HTTP endpoint: upload to send, stream to view, refusals that leave nothing', () => {
  let alice: ChatPeer
  let bob: ChatPeer

  /** What alice has sent so far, and what her uploads folder holds (must be nothing between requests). */
  const sentCount = async () =>
    (await alice.client.call('messages.list', { conversationId: `dm:${bob.userId}` })).messages.length
  const leftovers = async () =>
    readdir(join(alice.home, alice.daemon.profile, 'uploads')).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return []
      throw e
    })

  before(async () => {
    alice = await startPeer('Alice', { args: ['--max-upload-mb', String(UPLOAD_CAP_MB)] })
    bob = await startPeer('Bob', {
      args: [
        ...alice.addrs.flatMap((a) => ['--bootstrap', a]),
        '--auto-download-mb',
        String(AUTO_DOWNLOAD_MB),
      ],
    })
    await alice.client.call('contacts.add', { card: (await bob.client.call('identity.get', {})).card })
    await bob.client.call('contacts.add', { card: (await alice.client.call('identity.get', {})).card })
    // files too are fetched unasked, so what waits as offered below waits for its size alone
    await bob.client.call('attachments.settings', { autoDownload: { files: true } })
  })
  after(async () => {
    await Promise.allSettled([alice?.stop(), bob?.stop()])
  })

  test('an uploaded PNG is sent, arrives, and streams back from bob’s store byte for byte as image/png', async () => {
    const png = seededPng(300, 200, 7)
    const message = await upload(alice, bob, 'holiday photo.png', png)
    assert.equal(message.attachment?.name, 'holiday photo.png')
    assert.equal(message.attachment?.size, png.length)
    assert.deepEqual(await leftovers(), [], 'the plaintext copy is gone once sealed')
    await reached(bob.client, message.id, 'complete')

    const got = await call(bob.daemon.rpcPort, { path: `/attachments/${message.id}`, headers: bearer(bob) })
    assert.equal(got.status, 200)
    assert.equal(got.headers['content-type'], 'image/png')
    assert.equal(got.headers['content-length'], String(png.length))
    assert.equal(got.headers['x-content-type-options'], 'nosniff')
    assert.equal(got.headers['cache-control'], 'no-store')
    assert.match(
      got.headers['content-disposition'] ?? '',
      /^inline; .*filename\*=UTF-8''holiday%20photo\.png$/,
    )
    assert.equal(sha256(got.body), sha256(png))
    // HEAD: the same headers, no body; the sender's own copy streams too
    const head = await call(bob.daemon.rpcPort, {
      method: 'HEAD',
      path: `/attachments/${message.id}`,
      headers: bearer(bob),
    })
    assert.equal(head.headers['content-type'], 'image/png')
    assert.equal(head.body.length, 0)
    const own = await call(alice.daemon.rpcPort, {
      path: `/attachments/${message.id}`,
      headers: bearer(alice),
    })
    assert.equal(sha256(own.body), sha256(png))
    // the pointer carries a JPEG thumbnail of the PNG (≤ 16 KiB), shown before the whole image
    const thumb = await call(bob.daemon.rpcPort, {
      path: `/attachments/${message.id}/thumbnail`,
      headers: bearer(bob),
    })
    assert.equal(thumb.status, 200)
    assert.equal(thumb.headers['content-type'], 'image/jpeg')
    assert.ok(thumb.body.length > 0 && thumb.body.length <= 16 * 1024, `${thumb.body.length} bytes`)
  })

  test('the type comes from the bytes: a “.png” that is not one is a download, a PNG named .bin is an image', async () => {
    const fake = Buffer.from('<script>alert(1)</script> not a picture')
    const named = await upload(alice, bob, 'fake.png', fake)
    const real = await upload(alice, bob, 'data.bin', seededPng(16, 16, 3))
    await reached(bob.client, named.id, 'complete')
    await reached(bob.client, real.id, 'complete')
    const a = await call(bob.daemon.rpcPort, { path: `/attachments/${named.id}`, headers: bearer(bob) })
    assert.equal(a.headers['content-type'], 'application/octet-stream')
    assert.match(a.headers['content-disposition'] ?? '', /^attachment; filename="fake.png"/)
    assert.match(String(a.headers['content-security-policy']), /sandbox/)
    assert.deepEqual(a.body, fake)
    // no thumbnail in a file that is no image: a clear 404
    const thumb = await call(bob.daemon.rpcPort, {
      path: `/attachments/${named.id}/thumbnail`,
      headers: bearer(bob),
    })
    assert.equal(thumb.status, 404)
    assert.equal(json(thumb).error, 'NO_THUMBNAIL')
    const b = await call(bob.daemon.rpcPort, { path: `/attachments/${real.id}`, headers: bearer(bob) })
    assert.equal(b.headers['content-type'], 'image/png')
  })

  test('a wrong or missing token, a cross-site fetch and a foreign Host are refused before anything is read', async () => {
    const before = await sentCount()
    const body = Buffer.from('hello')
    const cases: Array<[Record<string, string>, number, string]> = [
      [{}, 401, 'UNAUTHORIZED'],
      [{ authorization: `Bearer ${'0'.repeat(64)}` }, 401, 'UNAUTHORIZED'],
      [{ ...bearer(alice), 'sec-fetch-site': 'cross-site' }, 403, 'CROSS_SITE'],
      [{ ...bearer(alice), host: 'evil.example:80' }, 421, 'MISDIRECTED'],
    ]
    for (const [headers, status, error] of cases) {
      const answer = await call(alice.daemon.rpcPort, {
        method: 'POST',
        path: uploadPath(bob, 'x.txt'),
        headers,
        body,
      })
      assert.equal(answer.status, status, JSON.stringify(headers))
      assert.equal(json(answer).error, error)
    }
    const read = await call(bob.daemon.rpcPort, { path: '/attachments/whatever' })
    assert.equal(read.status, 401)
    // the RPC port still answers other plain requests as before
    assert.equal((await call(alice.daemon.rpcPort, { path: '/', headers: bearer(alice) })).status, 426)
    assert.equal(await sentCount(), before)
    assert.deepEqual(await leftovers(), [])
  })

  test('over the cap (declared, or streamed without a length) is 413; nothing is kept or sent', async () => {
    const before = await sentCount()
    const declared = await call(alice.daemon.rpcPort, {
      method: 'POST',
      path: uploadPath(bob, 'big.bin'),
      headers: { ...bearer(alice), 'content-length': String(UPLOAD_CAP_MB * MIB + 1) },
    })
    // the daemon answers at once from the header, reading none of the body
    assert.equal(declared.status, 413)
    assert.equal(json(declared).error, 'TOO_LARGE')
    const random = seededRandom('attachments-http-over-cap')
    const pieces = Array.from({ length: UPLOAD_CAP_MB + 1 }, () => Buffer.from(random(MIB)))
    const streamed = await call(alice.daemon.rpcPort, {
      method: 'POST',
      path: uploadPath(bob, 'big.bin'),
      headers: { ...bearer(alice), 'transfer-encoding': 'chunked' },
      body: pieces,
    }).catch((e: NodeJS.ErrnoException) => ({ status: 0, code: e.code }))
    // a 413 answer, or the connection closed under a body still being written: never a 200
    assert.ok(
      streamed.status === 413 ||
        (streamed.status === 0 && /EPIPE|ECONNRESET/.test(String((streamed as { code?: string }).code))),
      `streamed over the cap: ${JSON.stringify(streamed.status)}`,
    )
    if (streamed.status === 413) assert.equal(json(streamed as Answer).error, 'TOO_LARGE')
    await eventually('the uploads folder emptied', async () =>
      (await leftovers()).length === 0 ? true : undefined,
    )
    assert.equal(await sentCount(), before)
  })

  test('bad params, an unknown message and a file not whole here get their statuses', async () => {
    const before = await sentCount()
    const post = (path: string) =>
      call(alice.daemon.rpcPort, { method: 'POST', path, headers: bearer(alice), body: Buffer.from('x') })
    const noName = await post(`/attachments?conversationId=dm:${bob.userId}`)
    assert.equal(noName.status, 400)
    const pathName = await post(uploadPath(bob, '../../etc/passwd'))
    assert.equal(pathName.status, 400)
    assert.match(json(pathName).message, /file name, not a path/)
    const stranger = await post(uploadPath({ userId: `wu${'a'.repeat(26)}` }, 'x.txt'))
    assert.ok([400, 404].includes(stranger.status), `unknown contact: ${stranger.status}`)
    assert.equal(await sentCount(), before)
    assert.deepEqual(await leftovers(), [])

    const unknown = await call(bob.daemon.rpcPort, {
      path: '/attachments/no-such-message',
      headers: bearer(bob),
    })
    assert.equal(unknown.status, 404)
    assert.equal(json(unknown).error, 'NOT_FOUND')
    const verb = await call(bob.daemon.rpcPort, {
      method: 'DELETE',
      path: '/attachments/x',
      headers: bearer(bob),
    })
    assert.equal(verb.status, 405)

    // 1.5 MiB is over bob's auto-download size: it waits as offered, and is not served
    const offered = await upload(alice, bob, 'offered.bin', Buffer.from(seededRandom('offered')(1.5 * MIB)))
    await reached(bob.client, offered.id, 'offered')
    const notReady = await call(bob.daemon.rpcPort, {
      path: `/attachments/${offered.id}`,
      headers: bearer(bob),
    })
    assert.equal(notReady.status, 409)
    assert.deepEqual(json(notReady).error, 'NOT_READY')
  })

  test('an upload cut off by its client leaves no copy and sends nothing', async () => {
    const before = await sentCount()
    await new Promise<void>((resolve) => {
      const req = request({
        host: '127.0.0.1',
        port: alice.daemon.rpcPort,
        method: 'POST',
        path: uploadPath(bob, 'cut.bin'),
        headers: { ...bearer(alice), 'content-length': String(MIB) },
      })
      req.on('error', () => resolve())
      req.write(Buffer.alloc(64 * 1024), () => setTimeout(() => req.destroy(), 200))
      req.on('close', () => resolve())
    })
    await eventually('the uploads folder emptied', async () =>
      (await leftovers()).length === 0 ? true : undefined,
    )
    assert.equal(await sentCount(), before)
  })
})
