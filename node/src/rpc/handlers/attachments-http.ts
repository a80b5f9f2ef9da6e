/**
 * The attachments endpoint: how the desktop page sends and shows files (a page cannot hand the
 * daemon a local path, and files do not travel as base64 in JSON). It is plain HTTP on the RPC's
 * port behind the RPC's bearer token (rpc/http-route.ts admits each request):
 *
 *   POST /attachments?conversationId=…&name=…[&caption=…]   body: the file's bytes
 *     The body is streamed (never whole in memory, MAX_UPLOAD_BYTES at most) into a file of mode
 *     0600 under the profile's uploads/ folder (0700), which attachments.send's own path then
 *     seals into the store; the plaintext copy is removed as soon as that ends, however it ends
 *     (and the folder is emptied when the daemon starts, after a crash). 200 { message }, the
 *     result of attachments.send.
 *   GET|HEAD /attachments/<messageId>             the file's plaintext, streamed from the sealed
 *     store chunk by chunk. Content-Type is one of INLINE_IMAGE_TYPES when the bytes say so
 *     (sniffed, never the sender's name or type), shown inline; anything else is
 *     application/octet-stream with `Content-Disposition: attachment`. Never cached, nosniff,
 *     and a sandboxing CSP in case it is opened as a document.
 *   GET|HEAD /attachments/<messageId>/thumbnail   the pointer's inline thumbnail, when it has an
 *     image one (404 NO_THUMBNAIL otherwise: the page then waits for the whole file).
 *
 * Errors are JSON { error, message }: 400 bad params or name, 404 no such attachment, 409 the
 * file is not whole here (or a stored chunk failed its check: it is fetched again), 413 over the
 * cap, 423 locked or no identity, 429 too many uploads at once, 503 the node is not running.
 */
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { mkdir, open, rm } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { join } from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { MAX_FILE_NAME_BYTES } from '../../../../core/src/file/constants.ts'
import type { HostContext } from '../../app/host-context.ts'
import type { NodeLifecycle } from '../../app/node-lifecycle.ts'
import { sniffImageType } from '../../files/image-sniff.ts'
import { methods } from '../api.ts'
import { toRpcError } from '../error-map.ts'
import { type HttpRoute, httpError } from '../http-route.ts'
import { toApiMessage } from '../messaging-view.ts'

/** The endpoint's path prefix. */
export const ATTACHMENTS_HTTP_PREFIX = '/attachments'
/**
 * Largest upload from the page, in bytes: a plaintext copy waits under the profile until it is
 * sealed, so the page may not park more than this; bigger files go by path (`wren send --file`,
 * attachments.send), which copies nothing.
 */
export const MAX_UPLOAD_BYTES = 1024 * 1024 * 1024
/** Uploads streaming at once: a window drops a few files together; each holds a copy on disk. */
export const MAX_CONCURRENT_UPLOADS = 4
/** Folder under the profile for uploads being sealed; emptied when the daemon starts. */
export const UPLOADS_DIR = 'uploads'
/** Owner-only, like everything in the profile. */
const UPLOAD_DIR_MODE = 0o700
const UPLOAD_FILE_MODE = 0o600
/** Random bytes naming one upload's folder (the file inside keeps the sender's name). */
const UPLOAD_ID_BYTES = 12

/** The HTTP status of each RPC application error name (rpc/error-map.ts gives the names). */
const STATUS_OF: Readonly<Record<string, number>> = {
  NOT_FOUND: 404,
  INVALID_INPUT: 400,
  ALREADY_EXISTS: 409,
  KEY_CHANGED_UNACCEPTED: 409,
  LOCKED: 423,
  NO_IDENTITY: 423,
  UNAVAILABLE: 503,
}

class UploadTooLargeError extends Error {
  constructor(max: number) {
    super(`the file is over the ${max}-byte upload limit`)
    this.name = 'UploadTooLargeError'
  }
}

/** A name the pointer can carry and the uploads folder can hold (one path component). */
export function uploadNameProblem(name: string): string | null {
  if (name === '' || name === '.' || name === '..') return 'name is empty'
  if (/[/\\\0]/.test(name)) return 'name must be a file name, not a path'
  if (Buffer.byteLength(name) > MAX_FILE_NAME_BYTES) return `name is over ${MAX_FILE_NAME_BYTES} bytes`
  return null
}

/** `Content-Disposition` for `name`: an ASCII fallback and the UTF-8 name (RFC 6266, RFC 8187). */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^A-Za-z0-9._ -]/g, '_') || 'file'
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`
}

/** Headers every file answer carries: not cached, not sniffed, and inert if opened as a page. */
const FILE_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; sandbox",
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
}

function fail(res: ServerResponse, error: unknown, method: 'attachments.send' | 'attachments.get'): void {
  const { error: rpc, internal } = toRpcError(error, method)
  if (internal) {
    httpError(res, 500, 'INTERNAL', rpc.message)
    return
  }
  const name = rpc.errorName ?? 'INVALID_PARAMS'
  httpError(res, STATUS_OF[name] ?? 400, name, rpc.message)
}

/** A path segment decoded, or '' (refused as a bad id) when it is not valid percent-encoding. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return ''
  }
}

export interface AttachmentsHttpDeps {
  readonly ctx: HostContext
  readonly node: NodeLifecycle
  /** Default MAX_UPLOAD_BYTES (`wren daemon --max-upload-mb`). */
  readonly maxUploadBytes?: number
}

/** The route, after emptying the uploads folder (a crash may have left a plaintext copy). */
export async function attachmentsHttp({ ctx, node, ...deps }: AttachmentsHttpDeps): Promise<HttpRoute> {
  const maxUpload = deps.maxUploadBytes ?? MAX_UPLOAD_BYTES
  const uploads = join(ctx.paths.dir, UPLOADS_DIR)
  await rm(uploads, { recursive: true, force: true })
  let active = 0
  const log = ctx.log.child('node:attachments-http')

  async function upload(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const q = url.searchParams
    const caption = q.get('caption')
    const params = methods['attachments.send'].params.safeParse({
      conversationId: q.get('conversationId') ?? '',
      path: '/upload',
      ...(caption !== null ? { caption } : {}),
    })
    if (!params.success) {
      httpError(
        res,
        400,
        'INVALID_PARAMS',
        params.error.issues.map((i) => `${i.path}: ${i.message}`).join('; '),
      )
      return
    }
    const name = q.get('name') ?? ''
    const problem = uploadNameProblem(name)
    if (problem !== null) {
      httpError(res, 400, 'INVALID_PARAMS', problem)
      return
    }
    const declared = Number(req.headers['content-length'] ?? 0)
    if (declared > maxUpload) {
      httpError(res, 413, 'TOO_LARGE', new UploadTooLargeError(maxUpload).message)
      return
    }
    if (active >= MAX_CONCURRENT_UPLOADS) {
      httpError(res, 429, 'TOO_MANY_UPLOADS', `at most ${MAX_CONCURRENT_UPLOADS} uploads at once`)
      return
    }
    const rt = node.runtime()
    active++
    const dir = join(uploads, randomBytes(UPLOAD_ID_BYTES).toString('hex'))
    // the answer goes out once the plaintext copy is gone, so a client never sees it linger
    let answer: () => void
    try {
      await mkdir(dir, { recursive: true, mode: UPLOAD_DIR_MODE })
      const path = join(dir, name)
      const handle = await open(path, 'wx', UPLOAD_FILE_MODE)
      let received = 0
      const cap = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          received += chunk.length
          done(received > maxUpload ? new UploadTooLargeError(maxUpload) : null, chunk)
        },
      })
      await pipeline(req, cap, createWriteStream('', { fd: handle }))
      const { conversationId } = params.data
      const message = await rt.files.send(conversationId, path, params.data.caption ?? '')
      const body = JSON.stringify({ message: toApiMessage(message, rt.messenger.waitingOf(message)) })
      answer = () =>
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(body)
    } catch (error) {
      if (error instanceof UploadTooLargeError) answer = () => httpError(res, 413, 'TOO_LARGE', error.message)
      else if (req.destroyed && !req.complete) answer = () => res.destroy()
      else answer = () => fail(res, error, 'attachments.send')
    } finally {
      active--
      await rm(dir, { recursive: true, force: true }).catch((error: unknown) =>
        log.error('upload copy not removed', { error: (error as Error)?.name }),
      )
    }
    answer()
  }

  async function download(res: ServerResponse, messageId: string, part: string, head: boolean) {
    if (!methods['attachments.get'].params.safeParse({ messageId }).success) {
      httpError(res, 400, 'INVALID_PARAMS', 'bad message id')
      return
    }
    const content = await node.runtime().files.content(messageId)
    if (part === 'thumbnail') {
      const type = sniffImageType(content.thumbnail)
      if (type === null) {
        httpError(res, 404, 'NO_THUMBNAIL', `the file of message ${messageId} has no thumbnail`)
        return
      }
      res
        .writeHead(200, { ...FILE_HEADERS, 'content-type': type, 'content-length': content.thumbnail.length })
        .end(head ? undefined : content.thumbnail)
      return
    }
    if (!content.ready) {
      httpError(res, 409, 'NOT_READY', `the file of message ${messageId} is ${content.state}, not complete`)
      return
    }
    const chunks = content.chunks()
    // the first chunk before the headers: its bytes say the type, and a bad store fails cleanly
    const first = await chunks.next()
    const type = first.done ? null : sniffImageType(first.value)
    res.writeHead(200, {
      ...FILE_HEADERS,
      'content-type': type ?? 'application/octet-stream',
      'content-length': content.size,
      'content-disposition': contentDisposition(type !== null ? 'inline' : 'attachment', content.name),
    })
    if (head || first.done) {
      await chunks.return(undefined)
      res.end()
      return
    }
    try {
      for (let next: IteratorResult<Uint8Array> = first; !next.done; next = await chunks.next()) {
        if (res.destroyed) break
        if (!res.write(next.value)) await Promise.race([once(res, 'drain'), once(res, 'close')])
      }
      res.end()
    } catch (error) {
      // headers are out: end the answer short, so the reader sees it incomplete (Content-Length)
      log.warn('file stream ended early', { error: (error as Error)?.name })
      res.destroy()
    } finally {
      await chunks.return(undefined)
    }
  }

  return {
    prefix: ATTACHMENTS_HTTP_PREFIX,
    handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      const parts = url.pathname.slice(ATTACHMENTS_HTTP_PREFIX.length).split('/').filter(Boolean)
      const method = req.method ?? 'GET'
      let work: Promise<void>
      if (parts.length === 0 && method === 'POST') work = upload(req, res, url)
      else if (
        (method === 'GET' || method === 'HEAD') &&
        (parts.length === 1 || (parts.length === 2 && parts[1] === 'thumbnail'))
      )
        work = download(res, safeDecode(parts[0]!), parts[1] ?? 'content', method === 'HEAD')
      else {
        httpError(
          res,
          405,
          'NOT_ALLOWED',
          'POST /attachments, or GET/HEAD /attachments/<messageId>[/thumbnail]',
        )
        return
      }
      work.catch((error: unknown) =>
        fail(res, error, method === 'POST' ? 'attachments.send' : 'attachments.get'),
      )
    },
  }
}
