import { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitedError } from '../../platform/errors';
import { RateLimiters } from '../../platform/rate-limit/rate-limiters';

export interface LoginThrottleSettings {
  /** Failures in a row for one account from one IP before each further failure adds a delay. */
  freeFailuresPerAccountIp: number;
  maxDelaySeconds: number;
  /** Failures from one IP, across all accounts, before that IP is refused until its window ends. */
  maxFailuresPerIp: number;
  ipWindowSeconds: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleSettings = {
  freeFailuresPerAccountIp: 5,
  maxDelaySeconds: 900,
  maxFailuresPerIp: 100,
  ipWindowSeconds: 900,
};

/** Opaque keys: keyed hashes made by the caller, so neither an address nor a login name reaches the store. */
export interface LoginAttemptKeys {
  ip: string;
  accountIp: string;
}

const STREAK_SECONDS = 24 * 60 * 60;
/** How long an attempt holds its account+IP slot if release() never comes (a crashed request). */
const IN_FLIGHT_LEASE_SECONDS = 10;
/** The streak limiter only counts; the delay limiter is what refuses. */
const UNLIMITED_POINTS = Number.MAX_SAFE_INTEGER;

/**
 * Login throttling: a growing delay per account+IP and a failure budget per IP. Only the account+IP pair is
 * ever delayed, so an attacker guessing a victim's password cannot lock the victim out from another IP.
 */
export class LoginThrottle {
  private readonly streaks: RateLimiterAbstract;
  private readonly delays: RateLimiterAbstract;
  private readonly ipFailures: RateLimiterAbstract;
  private readonly inFlight: RateLimiterAbstract;

  constructor(limiters: RateLimiters, private readonly settings: LoginThrottleSettings = DEFAULT_LOGIN_THROTTLE) {
    assertSettings(settings);
    this.streaks = limiters.create({ name: 'login-account-ip-streak', points: UNLIMITED_POINTS, durationSeconds: STREAK_SECONDS });
    this.delays = limiters.create({ name: 'login-account-ip-delay', points: 1, durationSeconds: settings.maxDelaySeconds });
    this.ipFailures = limiters.create({ name: 'login-ip-failures', points: settings.maxFailuresPerIp, durationSeconds: settings.ipWindowSeconds });
    this.inFlight = limiters.create({ name: 'login-account-ip-in-flight', points: 1, durationSeconds: IN_FLIGHT_LEASE_SECONDS });
  }

  /**
   * Throws RateLimitedError, with the longer of the two waits, when the pair is delayed, the IP is over budget, or
   * another attempt for the pair is still running. Otherwise admits the attempt: call release() when it ends.
   */
  async assertAllowed(keys: LoginAttemptKeys): Promise<void> {
    const [delay, ipFailures] = await Promise.all([
      settle(this.delays.get(keys.accountIp)),
      settle(this.ipFailures.get(keys.ip)),
    ]);
    const waitsMs: number[] = [];
    if (isActive(delay)) waitsMs.push(delay.msBeforeNext);
    if (isActive(ipFailures) && ipFailures.consumedPoints >= this.settings.maxFailuresPerIp) {
      waitsMs.push(ipFailures.msBeforeNext);
    }
    if (waitsMs.length > 0) throw new RateLimitedError(Math.max(...waitsMs) / 1_000);
    // One attempt at a time per account+IP: a parallel burst would otherwise pass this check all at once,
    // before the first failure is counted.
    if ((await countHit(this.inFlight, keys.accountIp)).consumedPoints > 1) throw new RateLimitedError(1);
  }

  /** Ends the attempt admitted by assertAllowed, whatever its outcome. */
  async release(keys: LoginAttemptKeys): Promise<void> {
    await settle(this.inFlight.delete(keys.accountIp));
  }

  async recordFailure(keys: LoginAttemptKeys): Promise<void> {
    const [streak] = await Promise.all([
      countHit(this.streaks, keys.accountIp),
      countHit(this.ipFailures, keys.ip),
    ]);
    const delaySeconds = this.delayAfter(streak.consumedPoints);
    if (delaySeconds > 0) await settle(this.delays.block(keys.accountIp, delaySeconds));
  }

  /** Clears the pair's streak and delay. The IP budget stays: one success must not reset a spraying IP. */
  async recordSuccess(keys: LoginAttemptKeys): Promise<void> {
    await Promise.all([
      settle(this.streaks.delete(keys.accountIp)),
      settle(this.delays.delete(keys.accountIp)),
    ]);
  }

  /** 1, 2, 4 … seconds for each failure beyond the free ones, capped. */
  private delayAfter(streak: number): number {
    const beyondFree = streak - this.settings.freeFailuresPerAccountIp;
    if (beyondFree < 1) return 0;
    return Math.min(2 ** (beyondFree - 1), this.settings.maxDelaySeconds);
  }
}

/**
 * A memory record can outlive its expiry until its timer runs, and Redis reports -1 for a key without
 * expiry; neither is a live limit.
 */
function isActive(res: RateLimiterRes | null): res is RateLimiterRes {
  return res !== null && res.msBeforeNext > 0;
}

/** consume() rejects with a RateLimiterRes once over its points; for a counter that is still a counted hit. */
async function countHit(limiter: RateLimiterAbstract, key: string): Promise<RateLimiterRes> {
  try {
    return await limiter.consume(key);
  } catch (rejection: unknown) {
    if (rejection instanceof RateLimiterRes) return rejection;
    throw asError(rejection);
  }
}

/** rate-limiter-flexible may reject with values that are not Errors; callers only ever see Errors. */
async function settle<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (rejection: unknown) {
    throw asError(rejection);
  }
}

function asError(rejection: unknown): Error {
  if (rejection instanceof Error) return rejection;
  return new Error('The login rate limiter failed without an error object.');
}

function assertSettings(settings: LoginThrottleSettings): void {
  const positive: (keyof LoginThrottleSettings)[] = ['maxDelaySeconds', 'maxFailuresPerIp', 'ipWindowSeconds'];
  for (const name of positive) {
    if (!Number.isSafeInteger(settings[name]) || settings[name] < 1) {
      throw new RangeError(`Login throttle setting ${name} must be a positive integer.`);
    }
  }
  if (!Number.isSafeInteger(settings.freeFailuresPerAccountIp) || settings.freeFailuresPerAccountIp < 0) {
    throw new RangeError('Login throttle setting freeFailuresPerAccountIp must be a non-negative integer.');
  }
}
