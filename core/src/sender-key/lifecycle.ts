/**
 * Creating, distributing, receiving and rotating Sender Keys.
 *
 * A sender creates one state per distribution (group epoch) and sends `senderKeyDistribution`
 * to every member over the pairwise sessions. Members hold a copy without the signing secret,
 * so a member can read the sender's messages but never forge them. Rotation (on removal of a
 * member) starts a new chain with a fresh chain key and signing key; the removed member, who
 * holds only the old distribution, cannot read the new chain.
 */
import { bytesEqual } from '../bytes.ts'
import type { CryptoSuite } from '../crypto/suite.ts'
import { InvalidKeyError, InvalidStateError } from '../errors.ts'
import { decodeSenderKeyDistribution, encodeSenderKeyDistribution } from './codec.ts'
import { DISTRIBUTION_ID_BYTES, MAX_SENDER_KEY_PREVIOUS_CHAINS, SENDER_CHAIN_KEY_BYTES } from './constants.ts'
import { EMPTY_SKIPPED, randomChainId, type SenderChain, type SenderKeyState } from './state.ts'

function newOwnChain(suite: CryptoSuite, avoidChainIds: readonly number[]): SenderChain {
  let chainId = randomChainId(suite)
  // a rotation must yield a new chain id, or receivers would treat it as the chain they hold
  while (avoidChainIds.includes(chainId)) chainId = randomChainId(suite)
  const signing = suite.ed25519Generate()
  return {
    chainId,
    iteration: 0,
    chainKey: suite.randomBytes(SENDER_CHAIN_KEY_BYTES),
    signingPublicKey: signing.publicKey,
    signingSecretKey: signing.secretKey,
    skipped: EMPTY_SKIPPED,
  }
}

function ownChain(state: SenderKeyState): SenderChain & { signingSecretKey: Uint8Array } {
  const chain = state.chains[0]
  if (chain?.signingSecretKey === undefined)
    throw new InvalidStateError('not our own sender key: a receiver copy has no signing secret')
  return chain as SenderChain & { signingSecretKey: Uint8Array }
}

/** Our own Sender Key for a distribution: random chain id, chain key and signing key pair. */
export function createSenderKey(suite: CryptoSuite, options: { distributionId: Uint8Array }): SenderKeyState {
  const { distributionId } = options
  if (!(distributionId instanceof Uint8Array) || distributionId.length !== DISTRIBUTION_ID_BYTES)
    throw new InvalidKeyError(`distribution id must be ${DISTRIBUTION_ID_BYTES} bytes`)
  return { distributionId: distributionId.slice(), chains: [newOwnChain(suite, [])] }
}

/**
 * Encoded distribution message for our current chain at its current iteration (a member who
 * joins later cannot read earlier messages). Send it only over authenticated pairwise sessions.
 */
export function senderKeyDistribution(state: SenderKeyState): Uint8Array {
  const chain = ownChain(state)
  return encodeSenderKeyDistribution({
    distributionId: state.distributionId,
    chainId: chain.chainId,
    iteration: chain.iteration,
    chainKey: chain.chainKey,
    signingPublicKey: chain.signingPublicKey,
  })
}

/**
 * A receiver's state from a distribution message (no signing secret). With `existing` (our
 * state for the same sender and distribution), a new chain becomes current and older chains are
 * kept, at most MAX_SENDER_KEY_PREVIOUS_CHAINS, so messages sent before the rotation still
 * decrypt. A distribution for a chain we already hold is ignored: a re-sent (older) copy must
 * not rewind the chain and re-open replays. Throws DecodeError / UnsupportedVersionError on bad
 * bytes, InvalidStateError when `existing` is for another distribution or holds the same chain id
 * with a different signing key.
 */
export function processSenderKeyDistribution(
  _suite: CryptoSuite,
  bytes: Uint8Array,
  existing?: SenderKeyState,
): SenderKeyState {
  const d = decodeSenderKeyDistribution(bytes)
  const chain: SenderChain = {
    chainId: d.chainId,
    iteration: d.iteration,
    chainKey: d.chainKey,
    signingPublicKey: d.signingPublicKey,
    skipped: EMPTY_SKIPPED,
  }
  if (existing === undefined) return { distributionId: d.distributionId, chains: [chain] }
  if (!bytesEqual(existing.distributionId, d.distributionId))
    throw new InvalidStateError('sender key distribution is for another distribution id')
  const known = existing.chains.find((c) => c.chainId === d.chainId)
  if (known !== undefined) {
    if (!bytesEqual(known.signingPublicKey, d.signingPublicKey))
      throw new InvalidStateError(`chain ${d.chainId} is already known with a different signing key`)
    return existing
  }
  return {
    distributionId: existing.distributionId,
    chains: [chain, ...existing.chains.slice(0, MAX_SENDER_KEY_PREVIOUS_CHAINS)],
  }
}

/**
 * Rotate our own Sender Key: a new chain id, fresh chain key and signing key pair. The old
 * chain's secrets are dropped from the returned state. Distribute the result again to the
 * members who stay.
 */
export function rotateSenderKey(suite: CryptoSuite, state: SenderKeyState): SenderKeyState {
  ownChain(state)
  const chain = newOwnChain(
    suite,
    state.chains.map((c) => c.chainId),
  )
  return { distributionId: state.distributionId, chains: [chain] }
}
