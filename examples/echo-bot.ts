/**
 * Echo bot: connects to the daemon of a profile and answers every incoming message with
 * "echo: <text>". A small, complete example of driving Wren from TypeScript with WrenClient.
 *
 *   npx wren --profile bot daemon                    # in another terminal, and keep it running
 *   npx wren --profile bot init --name Bot           # once: the bot's identity
 *   npm run bot -- --profile bot                     # the bot (npm runs it on the pinned Node 24)
 *
 * Options: --home DIR (default $WREN_HOME or ~/.wren), --profile NAME (default 'default').
 * It needs a running, unlocked daemon for its profile: if the profile is locked and
 * WREN_PASSPHRASE is set, the bot unlocks it. Prints "ready" once it listens; stops on
 * SIGINT/SIGTERM. When the daemon restarts, the client connects again (3 s → 60 s backoff), the
 * bot unlocks the profile again if it can, and goes on answering. Exit 3: no daemon at start;
 * 6: locked or no identity at start.
 */
import { parseArgs } from 'node:util'
import { wrenCommand } from '../node/src/cli/command-name.ts'
import { EXIT } from '../node/src/cli/exit-codes.ts'
import { DaemonNotRunningError } from '../node/src/profile/errors.ts'
import { MAX_TEXT_CHARS, type Message } from '../node/src/rpc/api.ts'
import { WrenClient } from '../node/src/rpc/client.ts'

const PREFIX = 'echo: '

const { values } = parseArgs({
  options: { home: { type: 'string' }, profile: { type: 'string', default: 'default' } },
})

const profile = values.profile
const NEEDS = `echo-bot needs a running, unlocked daemon for profile ${profile}`

const client = await WrenClient.connectProfile({ home: values.home, profile, reconnect: true }).catch(
  (error: Error) => {
    const why =
      error instanceof DaemonNotRunningError ? 'no daemon is running' : `cannot reach it (${error.message})`
    console.error(`${NEEDS}: ${why}.\nStart it in another terminal with: ${wrenCommand('daemon', profile)}`)
    process.exit(EXIT.DAEMON_UNREACHABLE)
  },
)

const status = await client.call('node.status')
if (!status.unlocked) {
  const passphrase = process.env.WREN_PASSPHRASE
  if (!status.hasIdentity) {
    console.error(
      `${NEEDS}: the profile has no identity yet.\nCreate one with: ${wrenCommand('init --name <bot name>', profile)}`,
    )
    process.exit(EXIT.LOCKED)
  }
  if (!passphrase) {
    console.error(
      `${NEEDS}: the daemon is locked.\nUnlock it with: ${wrenCommand('unlock', profile)} (or set WREN_PASSPHRASE for the bot)`,
    )
    process.exit(EXIT.LOCKED)
  }
  await client.call('identity.unlock', { passphrase })
}

async function answer(message: Message): Promise<void> {
  // Only what others sent us; and never echo an echo, so two bots cannot loop forever.
  if (message.direction !== 'in' || message.text.startsWith(PREFIX)) return
  const text = `${PREFIX}${message.text}`.slice(0, MAX_TEXT_CHARS)
  await client.call('messages.send', { conversationId: message.conversationId, text })
  await client.call('messages.markRead', { conversationId: message.conversationId, upToSeq: message.seq })
}

await client.on('message', (message) => {
  answer(message).catch((error: Error) => {
    // Ids and error names only: message text is private.
    console.error(`echo-bot: could not answer message ${message.id}: ${error.name}: ${error.message}`)
  })
})
console.log(`ready (profile ${profile}, user ${status.userId ?? 'unlocked now'})`)

// a restarted daemon is locked: unlock it again when the passphrase is at hand
client.onReconnect(async () => {
  try {
    const now = await client.call('node.status')
    const passphrase = process.env.WREN_PASSPHRASE
    if (!now.unlocked && now.hasIdentity && passphrase) await client.call('identity.unlock', { passphrase })
    console.log(
      `echo-bot: reconnected to the daemon${now.unlocked || passphrase ? '' : ' (locked: unlock it to resume)'}`,
    )
  } catch (error) {
    console.error(`echo-bot: after reconnecting: ${(error as Error).name}: ${(error as Error).message}`)
  }
})
const stop = async (code: number) => {
  await client.close()
  process.exit(code)
}
process.once('SIGINT', () => void stop(0))
process.once('SIGTERM', () => void stop(0))
