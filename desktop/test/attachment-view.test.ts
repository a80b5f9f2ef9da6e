import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  contentUrl,
  isInlineImage,
  isReady,
  type PendingUpload,
  previewSource,
  thumbnailUrl,
  uploadErrorWords,
  uploadPercent,
  uploadUrl,
  uploadWords,
} from '../src/logic/attachment-view.ts'

const upload = (p: Partial<PendingUpload> = {}): PendingUpload => ({
  id: 1,
  name: 'a.png',
  size: 1000,
  sent: 0,
  sealing: false,
  error: null,
  ...p,
})

describe('attachment view logic', () => {
  test('URLs are same-origin paths with the id and query encoded', () => {
    assert.equal(contentUrl('m/1 x'), '/attachments/m%2F1%20x')
    assert.equal(thumbnailUrl('m1'), '/attachments/m1/thumbnail')
    assert.equal(
      uploadUrl('dm:wuabc', 'my photo & co.png'),
      '/attachments?conversationId=dm%3Awuabc&name=my+photo+%26+co.png',
    )
  })

  test('only the four inline image types show as pictures, whatever their parameters or case', () => {
    for (const t of ['image/png', 'image/jpeg', 'image/webp', 'IMAGE/GIF', 'image/png; charset=binary'])
      assert.equal(isInlineImage(t), true, t)
    for (const t of [null, '', 'image/svg+xml', 'text/html', 'application/octet-stream', 'image/pngx'])
      assert.equal(isInlineImage(t), false, String(t))
  })

  test('the preview is the whole file once here, the thumbnail of a claimed image before, none when it will not come', () => {
    assert.equal(isReady({ direction: 'in', state: 'complete' }), true)
    assert.equal(isReady({ direction: 'in', state: 'downloading' }), false)
    assert.equal(isReady({ direction: 'out', state: 'uploading' }), true)
    assert.equal(isReady({ direction: 'out', state: 'cancelled' }), false)
    assert.equal(previewSource({ direction: 'in', state: 'complete' }, 'application/octet-stream'), 'content')
    assert.equal(previewSource({ direction: 'out', state: 'available' }, 'text/plain'), 'content')
    assert.equal(previewSource({ direction: 'in', state: 'downloading' }, 'image/png'), 'thumbnail')
    assert.equal(previewSource({ direction: 'in', state: 'offered' }, 'Image/JPEG'), 'thumbnail')
    assert.equal(previewSource({ direction: 'in', state: 'downloading' }, 'application/pdf'), null)
    assert.equal(previewSource({ direction: 'in', state: 'failed' }, 'image/png'), null)
    assert.equal(previewSource({ direction: 'in', state: 'cancelled' }, 'image/png'), null)
  })

  test('an upload says its percent, then that it is being sealed, or why it was not sent', () => {
    assert.equal(uploadPercent({ sent: 0, size: 0 }), 100)
    assert.equal(uploadPercent({ sent: 999, size: 1000 }), 99)
    assert.equal(uploadPercent({ sent: 2000, size: 1000 }), 100)
    assert.equal(uploadWords(upload({ sent: 420 })), 'Uploading 42 %')
    assert.equal(uploadWords(upload({ sent: 1000, sealing: true })), 'Encrypting and sending…')
    assert.equal(uploadWords(upload({ error: 'too big' })), 'Not sent: too big')
  })

  test('error answers give the daemon’s message, else words for the status', () => {
    assert.equal(uploadErrorWords(413, '{"error":"TOO_LARGE","message":"over the limit"}'), 'over the limit')
    assert.equal(uploadErrorWords(413, 'oops'), 'the file is too large to send from here')
    assert.equal(uploadErrorWords(0, ''), 'the daemon could not be reached')
    assert.equal(uploadErrorWords(502, '{"message":""}'), 'the daemon answered 502')
  })
})
