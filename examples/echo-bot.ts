/**
 * Echo bot: connects to the daemon of a profile and answers every incoming message with
 * "echo: <text>". A small, complete example of driving Wren from TypeScript with WrenClient.
 *
 *   wren daemon --profile bot &                      # in another terminal
 *   WREN_PASSPHRASE=... node examples/echo-bot.ts --profile bot
 *
 * Options: --home DIR (default $WREN_HOME or ~/.wren), --profile NAME (default 'default').
 * If the profile is locked and WREN_PASSPHRASE is set, the bot unlocks it. Prints "ready" once
 * it listens; stops on SIGINT/SIGTERM or when the daemon goes away (exit 3).
 */
import { parseArgs } from 'node:util'
import { MAX_TEXT_CHARS, type Message } from '../node/src/rpc/api.ts'
import { WrenClient } from '../node/src/rpc/client.ts'

const PREFIX = 'echo: '
/** How often to check that the daemon connection is still open, in ms. */
const CONNECTION_CHECK_MS = 1_000

const { values } = parseArgs({
  options: { home: { type: 'string' }, profile: { type: 'string', default: 'default' } },
})

const client = await WrenClient.connectProfile({ home: values.home, profile: values.profile }).catch(
  (error: Error) => {
    console.error(`echo-bot: cannot reach the daemon: ${error.message}`)
    process.exit(3)
  },
)

const status = await client.call('node.status')
if (!status.unlocked) {
  const passphrase = process.env.WREN_PASSPHRASE
  if (!status.hasIdentity || !passphrase) {
    console.error(
      'echo-bot: the profile is locked or has no identity (wren init / wren unlock, or set WREN_PASSPHRASE)',
    )
    process.exit(6)
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
console.log(`ready (profile ${values.profile}, user ${status.userId ?? 'unlocked now'})`)

const stop = async (code: number) => {
  clearInterval(watchdog)
  await client.close()
  process.exit(code)
}
const watchdog = setInterval(() => {
  if (client.closed) {
    console.error('echo-bot: the daemon connection closed')
    void stop(3)
  }
}, CONNECTION_CHECK_MS)
process.once('SIGINT', () => void stop(0))
process.once('SIGTERM', () => void stop(0))
