/**
 * Former home of the profile handlers (now node/src/rpc/handlers/). Only the identity record is
 * left here, re-exported for the importers not moved yet (app/runtime.ts,
 * simulations/src/harness.ts): import it from ./profile-identity.ts, and delete this file once
 * nothing imports it.
 */
export { IDENTITY_RECORD_KEY, type IdentityRecord } from './profile-identity.ts'
