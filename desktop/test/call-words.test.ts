/** What the call screens say (desktop/src/logic/call-words.ts): microphone errors, end reasons, duration, path. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  callDuration,
  endReasonWords,
  endStays,
  mediaPath,
  mediaPathWords,
  microphoneErrorWords,
} from '../src/logic/call-words.ts'

describe('call screen words', () => {
  test('a refused microphone permission says where to allow it; a missing one says to connect one', () => {
    assert.match(microphoneErrorWords('NotAllowedError'), /Allow it .* then call again/)
    assert.match(microphoneErrorWords('NotFoundError'), /No microphone was found/)
    assert.match(microphoneErrorWords('NotReadableError'), /another application/)
    assert.match(microphoneErrorWords(undefined), /could not be opened/)
  })

  test('end reasons read from the side that sees them', () => {
    assert.equal(endReasonWords('declined', 'outgoing'), 'Call declined')
    assert.equal(endReasonWords('declined', 'incoming'), 'You declined the call')
    assert.equal(endReasonWords('timeout', 'outgoing'), 'No answer')
    assert.equal(endReasonWords('timeout', 'incoming'), 'Missed call')
    assert.match(endReasonWords('failed-decrypt', 'incoming'), /did not decrypt/)
    assert.match(endReasonWords('failed-ice', 'outgoing'), /no network path/)
  })

  test('failures stay on screen until closed; a hang-up goes away by itself', () => {
    assert.equal(endStays('failed-decrypt'), true)
    assert.equal(endStays('failed-ice'), true)
    assert.equal(endStays('hangup'), false)
    assert.equal(endStays(null), false)
  })

  test('the duration is m:ss, then h:mm:ss', () => {
    assert.equal(callDuration(0), '0:00')
    assert.equal(callDuration(65_400), '1:05')
    assert.equal(callDuration(3_725_000), '1:02:05')
    assert.equal(callDuration(-5), '0:00')
  })

  test('a relay candidate on either end is the TURN path; host or srflx pairs are direct', () => {
    assert.equal(mediaPath('host', 'host'), 'direct')
    assert.equal(mediaPath('srflx', 'prflx'), 'direct')
    assert.equal(mediaPath('relay', 'host'), 'relay')
    assert.equal(mediaPath('host', 'relay'), 'relay')
    assert.equal(mediaPath(undefined, 'host'), null)
    assert.equal(mediaPathWords('relay'), 'via a TURN relay')
    assert.equal(mediaPathWords(null), 'finding a path…')
  })
})
