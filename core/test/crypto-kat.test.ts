/**
 * Known-answer tests (RFC / spec vectors, cases in crypto-kat-cases.ts) on the portable noble
 * suite. The node:crypto suite runs the same cases from node/test/crypto-kat.test.ts.
 */
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { createNobleSuite } from '../src/crypto/noble-suite.ts'
import { describeKnownAnswers } from './crypto-kat-cases.ts'

describeKnownAnswers(createNobleSuite(seededRandom('kat')))
