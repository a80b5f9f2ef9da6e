/** What every command gets: the global options and a way to reach the profile's daemon. */
import { WrenClient } from '../rpc/client.ts'

export interface GlobalOptions {
  /** WREN_HOME override; default $WREN_HOME or ~/.wren. */
  readonly home?: string
  readonly profile: string
  /** Machine-readable output: one JSON value on stdout. */
  readonly json: boolean
  /** Bound on connecting and on each call, in ms; default the client's. */
  readonly timeout?: number
}

export function connect(g: GlobalOptions): Promise<WrenClient> {
  return WrenClient.connectProfile({
    home: g.home,
    profile: g.profile,
    connectTimeoutMs: g.timeout,
    callTimeoutMs: g.timeout,
  })
}

/** Connect, run, and always close the connection. */
export async function withClient<T>(g: GlobalOptions, run: (client: WrenClient) => Promise<T>): Promise<T> {
  const client = await connect(g)
  try {
    return await run(client)
  } finally {
    await client.close()
  }
}
