/**
 * `npm run bench:crypto [-- --quick] [-- --out <file>]`
 *
 * Wren's core protocol with the node:crypto suite (as the daemon runs it) against libsignal: the
 * harness lives with core (core/bench/crypto-harness.ts) and takes the suite from here, because
 * core/ imports nothing of node/. Each side gets a fresh suite, with its own key caches.
 */
import { runCryptoBench } from '../../core/bench/crypto-harness.ts'
import { createNodeSuite } from '../src/crypto/node-suite.ts'

await runCryptoBench(() => createNodeSuite(), process.argv.slice(2))
