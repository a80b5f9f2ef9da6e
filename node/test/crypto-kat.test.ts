/**
 * Known-answer tests (RFC / spec vectors) on the node:crypto suite: the same cases the noble
 * suite runs in core/test/crypto-kat.test.ts (core/test/crypto-kat-cases.ts).
 */
import { describeKnownAnswers } from '../../core/test/crypto-kat-cases.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { createNodeSuite } from '../src/crypto/node-suite.ts'

describeKnownAnswers(createNodeSuite(seededRandom('kat')))
