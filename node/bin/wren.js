#!/usr/bin/env node
// The `wren` command. Plain JavaScript so that an old Node gets a clear message instead of a
// syntax error: the CLI itself is TypeScript that Node runs directly (type stripping, Node >= 24).
const [major] = process.versions.node.split('.').map(Number)
if (major < 24 || !process.features?.typescript) {
  process.stderr.write(
    `wren: needs Node 24 or newer (this is ${process.version}); run it as \`npx wren\` or \`npm exec wren\`, which use the Node pinned in the project\n`,
  )
  process.exit(1)
}
const { main } = await import('../src/cli/run.ts')
await main(process.argv)
