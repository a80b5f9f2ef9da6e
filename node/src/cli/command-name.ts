/**
 * How help texts, hints and docs name the CLI. `npx wren` works right after `npm install` in the
 * repository: npx runs the project's own `bin` (node/bin/wren.js) with node_modules/.bin first on
 * PATH, so its `#!/usr/bin/env node` finds the pinned Node 24 whatever the system Node is.
 * A user who put `wren` on their PATH (`npm link`) types the same commands without `npx`.
 */
import { DEFAULT_PROFILE } from '../profile/profile.ts'

/** The command as a newcomer types it. */
export const WREN_COMMAND = 'npx wren'

/** `npx wren [--profile NAME] <args>`: the profile is named unless it is the default one. */
export function wrenCommand(args: string, profile: string = DEFAULT_PROFILE): string {
  return profile === DEFAULT_PROFILE
    ? `${WREN_COMMAND} ${args}`
    : `${WREN_COMMAND} --profile ${profile} ${args}`
}
