import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  applyTransferEvent,
  fileButton,
  formatBytes,
  percent,
  type TransferView,
  transferWords,
} from '../src/logic/file-card.ts'

const MB = 1_000_000

function view(extra: Partial<TransferView> = {}): TransferView {
  return { direction: 'in', state: 'downloading', bytes: 0, size: 8 * MB, ...extra }
}

describe('file card words', () => {
  test('sizes read like a file manager’s', () => {
    assert.equal(formatBytes(0), '0 B')
    assert.equal(formatBytes(999), '999 B')
    assert.equal(formatBytes(1_500), '1.5 KB')
    assert.equal(formatBytes(8 * MB), '8.0 MB')
    assert.equal(formatBytes(123 * MB), '123 MB')
    assert.equal(formatBytes(5_000 * 1_000 * MB), '5.0 TB')
  })

  test('progress events move bytes forward only; the percent is whole and capped', () => {
    let v = view()
    const progress = (bytes: number) => ({
      messageId: 'm',
      fileId: 'f',
      chunks: 1,
      chunkCount: 32,
      bytes,
      size: 8 * MB,
    })
    v = applyTransferEvent(v, progress(2 * MB))
    assert.equal(percent(v), 25)
    v = applyTransferEvent(v, progress(MB))
    assert.equal(v.bytes, 2 * MB, 'a late event does not move progress back')
    assert.equal(transferWords(v), 'Downloading 25 %')
    assert.equal(transferWords({ ...v, via: 'relay' }), 'Downloading 25 % from the relays')
    assert.equal(percent(view({ bytes: 9 * MB })), 100)
    assert.equal(percent(view({ size: 0, state: 'complete' })), 100)
  })

  test('a state event sets the state, the path and the error; complete fills the bar', () => {
    let v = applyTransferEvent(view(), {
      messageId: 'm',
      fileId: 'f',
      state: 'failed',
      error: 'hash mismatch',
    })
    assert.equal(v.state, 'failed')
    assert.equal(transferWords(v), 'Failed: hash mismatch')
    v = applyTransferEvent(v, { messageId: 'm', fileId: 'f', state: 'complete', via: 'direct' })
    assert.equal(v.error, undefined, 'an old error goes with its state')
    assert.equal(v.via, 'direct')
    assert.equal(v.bytes, v.size)
    assert.equal(transferWords(v), 'Received')
  })

  test('the button: download when offered, save when here in full or ours, none while it comes', () => {
    assert.equal(fileButton(view({ state: 'offered' })), 'download')
    assert.equal(fileButton(view({ state: 'downloading' })), null)
    assert.equal(fileButton(view({ state: 'complete' })), 'save')
    assert.equal(fileButton(view({ state: 'failed' })), null)
    assert.equal(fileButton(view({ direction: 'out', state: 'uploading' })), 'save')
    assert.equal(fileButton(view({ direction: 'out', state: 'cancelled' })), null)
  })
})
