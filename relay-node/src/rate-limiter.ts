/**
 * The relay's token buckets per remote PeerId: core's RateLimiter (shared with the daemon's peer
 * guard), tracking at most MAX_RATE_LIMITED_PEERS peers unless told otherwise.
 */
import {
  RateLimiter as CoreRateLimiter,
  type RateDecision,
  type RateLimiterInit,
} from '../../core/src/rate-limiter.ts'
import { MAX_RATE_LIMITED_PEERS } from './constants.ts'

export type { RateDecision, RateLimiterInit }

export class RateLimiter extends CoreRateLimiter {
  constructor(init: RateLimiterInit) {
    super({ ...init, maxKeys: init.maxKeys ?? MAX_RATE_LIMITED_PEERS })
  }
}
