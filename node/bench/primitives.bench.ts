/**
 * `npm run bench:primitives`: each CryptoSuite primitive, noble vs node:crypto, side by side.
 * The harness lives with core (core/bench/primitives-harness.ts); the node suite comes from here,
 * because core/ imports nothing of node/. Inputs are drawn from the OS random source.
 */
import { randomBytes } from 'node:crypto'
import { runPrimitivesBench } from '../../core/bench/primitives-harness.ts'
import { createNobleSuite } from '../../core/src/crypto/noble-suite.ts'
import { createNodeSuite } from '../src/crypto/node-suite.ts'

const random = (length: number) => new Uint8Array(randomBytes(length))
runPrimitivesBench([createNobleSuite(random), createNodeSuite(random)], random)
