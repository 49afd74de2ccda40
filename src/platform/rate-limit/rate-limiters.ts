import { Redis } from 'ioredis';
import { RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';

export interface RateLimitSpec {
  /** Becomes the key prefix `rl:<name>`, so two limiters never share counters by accident. */
  name: string;
  points: number;
  durationSeconds: number;
}

export type RateLimitBackend = 'redis' | 'memory';

const LIMITER_NAME = /^[a-z0-9][a-z0-9-]*$/;

/**
 * Builds rate limiters on the deployment's store. With Redis the counters are shared by every API
 * process; each limiter carries a per-process memory insurance limiter with the same options, so a Redis
 * outage degrades to per-process limits instead of failing logins or letting them through unlimited.
 * Keys passed to the limiters must already be keyed hashes: they are stored as they are, never PHI.
 */
export class RateLimiters {
  readonly backend: RateLimitBackend;

  /** `redis` is shared with the cache and stays the caller's to close; undefined = memory only (embedded default). */
  constructor(private readonly redis: Redis | undefined) {
    this.backend = redis ? 'redis' : 'memory';
  }

  create(spec: RateLimitSpec): RateLimiterAbstract {
    assertSpec(spec);
    const options = { keyPrefix: `rl:${spec.name}`, points: spec.points, duration: spec.durationSeconds };
    if (!this.redis) return new RateLimiterMemory(options);
    const redis = this.redis;
    const insurance = new RateLimiterMemory(options);
    const limiter = new RateLimiterRedis({
      ...options,
      storeClient: redis,
      // Without it a command waits for ioredis to give up on the dead connection; with it the insurance
      // limiter answers at once whenever the connection is not ready.
      rejectIfRedisNotReady: true,
      insuranceLimiter: insurance,
    });
    // rejectIfRedisNotReady does not cover delete(), which would wait for the command timeout instead.
    const deleteFromStore = limiter.delete.bind(limiter);
    limiter.delete = (key, deleteOptions) => (redis.status === 'ready' ? deleteFromStore(key, deleteOptions) : insurance.delete(key, deleteOptions));
    return limiter;
  }
}

function assertSpec(spec: RateLimitSpec): void {
  if (!LIMITER_NAME.test(spec.name)) {
    throw new RangeError('A rate limit name must be lowercase letters, digits and dashes.');
  }
  if (!Number.isSafeInteger(spec.points) || spec.points < 1) {
    throw new RangeError('A rate limit needs a positive integer number of points.');
  }
  // Redis expiries are whole seconds; 0 would mean "never expires", which no limit here wants.
  if (!Number.isSafeInteger(spec.durationSeconds) || spec.durationSeconds < 1) {
    throw new RangeError('A rate limit needs a positive integer duration in seconds.');
  }
}
