/**
 * wren call <contact> --play in.wav [--record out.wav] [--seconds N]
 * wren answer [--play in.wav] --record out.wav [--seconds N] [--wait N]
 *
 * Voice calls for bots and scripts: the media runs in this process (werift WebRTC, opusscript
 * Opus, every frame sealed with the call's keys as the desktop page does), the daemon carries
 * the call. WAV in: 16-bit PCM, mono or stereo, any rate 8–192 kHz (mixed to mono, resampled
 * linearly to 48 kHz). WAV out: 16-bit mono 48 kHz. The media modules load only for these two
 * commands, so the rest of the CLI starts as fast as before.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { type Command, InvalidArgumentError, Option } from 'commander'
import type { CallSummary } from '../call-run.ts'
import type { GlobalOptions } from '../context.ts'
import { withClient } from '../context.ts'
import { UsageError } from '../errors.ts'
import { printJson, printLine } from '../format.ts'
import { resolveContact } from '../resolve-contact.ts'

type Globals = (command: Command) => GlobalOptions

/** Longest --seconds and --wait, in seconds: an hour is longer than any bot call should last. */
const MAX_CALL_SECONDS = 3600
/** How long `wren answer` waits for a call to ring by default, in seconds. */
const DEFAULT_ANSWER_WAIT_S = 300
/** How long the caller waits for an answer, in ms: the daemon's ring timeout (45 s) plus slack. */
const ANSWER_TIMEOUT_MS = 50_000
/** Time for the media to connect after the answer, in ms (the page's MEDIA_CONNECT_TIMEOUT_MS). */
const MEDIA_TIMEOUT_MS = 30_000
/** After the WAV is sent, the caller stays this long so the last frames arrive, in ms. */
const PLAY_TAIL_MS = 1_000
/** File mode of a recording: the call's audio is private. */
const RECORDING_MODE = 0o600

function parseSeconds(value: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0 || n > MAX_CALL_SECONDS)
    throw new InvalidArgumentError(`must be a number of seconds above 0, at most ${MAX_CALL_SECONDS}`)
  return n
}

async function loadWav(path: string): Promise<Float32Array> {
  const { readWav, WavFormatError } = await import('../../call-media/wav.ts')
  try {
    return readWav(await readFile(path)).samples
  } catch (error) {
    if (error instanceof WavFormatError) throw new UsageError(`${path}: ${error.message}`)
    throw new UsageError(`${path}: cannot read (${(error as Error).message})`)
  }
}

async function report(g: GlobalOptions, summary: CallSummary, record: string | undefined): Promise<void> {
  if (record !== undefined && summary.recording !== null) {
    const { writeWav } = await import('../../call-media/wav.ts')
    await writeFile(record, writeWav(summary.recording), { mode: RECORDING_MODE })
  }
  const { call, frames } = summary
  if (g.json)
    return printJson({
      call,
      frames,
      recordedSeconds: summary.recordedSeconds,
      record: record ?? null,
      playout: summary.playout,
    })
  printLine(`Call ${call.endReason ?? call.state}: sent ${frames.sent} frames, received ${frames.opened}`)
  if (frames.failed > 0) printLine(`${frames.failed} frames did not decrypt`)
  if (record !== undefined) printLine(`Recorded ${summary.recordedSeconds.toFixed(1)} s to ${record}`)
  const playout = summary.playout
  if (playout === null || playout.concealedSamples + playout.late + playout.undecodable === 0) return
  const { MEDIA_RATE_HZ } = await import('../../call-media/wav.ts')
  printLine(
    `Concealed ${Math.round((playout.concealedSamples * 1000) / MEDIA_RATE_HZ)} ms of lost audio` +
      (playout.late > 0 ? `; ${playout.late} late packets dropped` : '') +
      (playout.undecodable > 0 ? `; ${playout.undecodable} packets did not decode` : ''),
  )
}

interface CallOptions {
  play: string
  record?: string
  seconds?: number
}

interface AnswerOptions {
  play?: string
  record: string
  seconds?: number
  wait: number
}

export function registerCallMediaCommands(program: Command, globals: Globals): void {
  program
    .command('call')
    .description('call a contact and play a WAV to them (optionally recording what they send)')
    .argument('<contact>', 'display name or user id')
    .requiredOption('--play <in.wav>', '16-bit PCM WAV to send (mono/stereo, resampled to 48 kHz)')
    .option('--record <out.wav>', 'write what the other side sends (16-bit mono 48 kHz)')
    .addOption(
      new Option('--seconds <n>', 'hang up after this long (default: when the WAV is sent)').argParser(
        parseSeconds,
      ),
    )
    .action(async (contact: string, opts: CallOptions, command: Command) => {
      const g = globals(command)
      const play = await loadWav(opts.play)
      const { CallRun } = await import('../call-run.ts')
      const summary = await withClient(g, async (client) => {
        const peer = await resolveContact(client, contact)
        const recordSeconds = opts.record === undefined ? null : (opts.seconds ?? MAX_CALL_SECONDS)
        const run = await CallRun.open(client, { role: 'caller', play, recordSeconds })
        try {
          const { callId } = await client.call('calls.start', { contactId: peer.userId })
          run.follow(callId)
          if (!g.json) printLine('Ringing…')
          await run.startWhenAccepted(ANSWER_TIMEOUT_MS)
          await run.connected(MEDIA_TIMEOUT_MS)
          if (!g.json) printLine('Connected')
          return await run.finish(opts.seconds ?? null, opts.seconds === undefined, PLAY_TAIL_MS)
        } finally {
          run.close()
        }
      })
      await report(g, summary, opts.record)
    })

  program
    .command('answer')
    .description('answer the next call, record what the caller sends (optionally playing a WAV)')
    .option('--play <in.wav>', '16-bit PCM WAV to send (mono/stereo, resampled to 48 kHz)')
    .requiredOption('--record <out.wav>', 'write what the caller sends (16-bit mono 48 kHz)')
    .addOption(
      new Option('--seconds <n>', 'hang up after this long (default: when the caller does)').argParser(
        parseSeconds,
      ),
    )
    .addOption(
      new Option('--wait <n>', 'seconds to wait for a call to ring')
        .argParser(parseSeconds)
        .default(DEFAULT_ANSWER_WAIT_S),
    )
    .action(async (opts: AnswerOptions, command: Command) => {
      const g = globals(command)
      const play = opts.play === undefined ? null : await loadWav(opts.play)
      const { CallRun } = await import('../call-run.ts')
      const summary = await withClient(g, async (client) => {
        const run = await CallRun.open(client, {
          role: 'callee',
          play,
          recordSeconds: opts.seconds ?? MAX_CALL_SECONDS,
        })
        try {
          if (!g.json) printLine('Waiting for a call…')
          const incoming = await run.nextIncoming(opts.wait * 1000)
          run.follow(incoming.callId)
          await client.call('calls.accept', { callId: incoming.callId })
          await run.startWhenAccepted(MEDIA_TIMEOUT_MS)
          await run.connected(MEDIA_TIMEOUT_MS)
          if (!g.json) printLine('Connected')
          return await run.finish(opts.seconds ?? null, false, 0)
        } finally {
          run.close()
        }
      })
      await report(g, summary, opts.record)
    })
}
