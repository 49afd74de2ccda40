import { ErrorCode, RateLimitedError } from '../../platform/errors';
import { httpHeadersOf, httpStatusOf } from '../../platform/http/error-status';
import { RateLimiters } from '../../platform/rate-limit/rate-limiters';
import { DEFAULT_LOGIN_THROTTLE, LoginAttemptKeys, LoginThrottle, LoginThrottleSettings } from './login-throttle';

const VICTIM_FROM_ATTACKER: LoginAttemptKeys = { ip: 'ip-attacker', accountIp: 'victim@ip-attacker' };
const VICTIM_AT_HOME: LoginAttemptKeys = { ip: 'ip-home', accountIp: 'victim@ip-home' };

function throttle(settings: Partial<LoginThrottleSettings> = {}): LoginThrottle {
  return new LoginThrottle(new RateLimiters(undefined), { ...DEFAULT_LOGIN_THROTTLE, ...settings });
}

async function failTimes(subject: LoginThrottle, keys: LoginAttemptKeys, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await subject.recordFailure(keys);
}

/** The Retry-After the caller would send, or null when the attempt is allowed. */
async function retryAfter(subject: LoginThrottle, keys: LoginAttemptKeys): Promise<number | null> {
  try {
    await subject.assertAllowed(keys);
    await subject.release(keys);
    return null;
  } catch (error: unknown) {
    if (!(error instanceof RateLimitedError)) throw error;
    return Number(httpHeadersOf(error)?.['Retry-After']);
  }
}

describe('LoginThrottle (memory backend)', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('lets the free failures through and delays the next one by a second', async () => {
    const subject = throttle();
    for (let i = 0; i < DEFAULT_LOGIN_THROTTLE.freeFailuresPerAccountIp; i++) {
      await expect(subject.assertAllowed(VICTIM_FROM_ATTACKER)).resolves.toBeUndefined();
      await subject.recordFailure(VICTIM_FROM_ATTACKER);
      await subject.release(VICTIM_FROM_ATTACKER);
    }
    await expect(subject.assertAllowed(VICTIM_FROM_ATTACKER)).resolves.toBeUndefined();

    await subject.recordFailure(VICTIM_FROM_ATTACKER);
    await subject.release(VICTIM_FROM_ATTACKER);
    const rejection = subject.assertAllowed(VICTIM_FROM_ATTACKER);
    await expect(rejection).rejects.toBeInstanceOf(RateLimitedError);
    await expect(rejection).rejects.toMatchObject({ code: ErrorCode.RATE_LIMITED, details: { retryAfterSeconds: 1 }, hints: { retryAfterSeconds: 1 } });
    const limited = await rejection.then(() => undefined, (error: unknown) => error);
    if (!(limited instanceof RateLimitedError)) throw new Error('the attempt was not rate limited');
    expect(httpStatusOf(limited)).toBe(429);
    expect(httpHeadersOf(limited)).toEqual({ 'Retry-After': '1' });
  });

  it('doubles the delay with each further failure, up to the cap', async () => {
    const subject = throttle({ freeFailuresPerAccountIp: 2, maxDelaySeconds: 8 });
    await failTimes(subject, VICTIM_FROM_ATTACKER, 2);
    const delays: (number | null)[] = [];
    for (let i = 0; i < 6; i++) {
      await subject.recordFailure(VICTIM_FROM_ATTACKER);
      delays.push(await retryAfter(subject, VICTIM_FROM_ATTACKER));
    }
    expect(delays).toEqual([1, 2, 4, 8, 8, 8]);
  });

  it('allows the pair again once the delay has passed, and the streak keeps growing', async () => {
    jest.useFakeTimers({ now: Date.parse('2030-01-01T00:00:00Z') });
    const subject = throttle({ freeFailuresPerAccountIp: 1 });
    await failTimes(subject, VICTIM_FROM_ATTACKER, 2);
    expect(await retryAfter(subject, VICTIM_FROM_ATTACKER)).toBe(1);

    jest.advanceTimersByTime(1_000);
    expect(await retryAfter(subject, VICTIM_FROM_ATTACKER)).toBeNull();
    await subject.recordFailure(VICTIM_FROM_ATTACKER);
    expect(await retryAfter(subject, VICTIM_FROM_ATTACKER)).toBe(2);
  });

  it('clears the streak and the delay on success', async () => {
    const subject = throttle({ freeFailuresPerAccountIp: 2 });
    await failTimes(subject, VICTIM_FROM_ATTACKER, 5);
    expect(await retryAfter(subject, VICTIM_FROM_ATTACKER)).toBe(4);

    await subject.recordSuccess(VICTIM_FROM_ATTACKER);
    expect(await retryAfter(subject, VICTIM_FROM_ATTACKER)).toBeNull();
    await failTimes(subject, VICTIM_FROM_ATTACKER, 2);
    expect(await retryAfter(subject, VICTIM_FROM_ATTACKER)).toBeNull();
    await subject.recordFailure(VICTIM_FROM_ATTACKER);
    expect(await retryAfter(subject, VICTIM_FROM_ATTACKER)).toBe(1);
  });

  it('never delays the same account from another IP', async () => {
    const subject = throttle();
    await failTimes(subject, VICTIM_FROM_ATTACKER, 40);
    expect(await retryAfter(subject, VICTIM_FROM_ATTACKER)).toBe(DEFAULT_LOGIN_THROTTLE.maxDelaySeconds);

    await expect(subject.assertAllowed(VICTIM_AT_HOME)).resolves.toBeUndefined();
    await subject.recordSuccess(VICTIM_AT_HOME);
    expect(await retryAfter(subject, VICTIM_FROM_ATTACKER)).toBe(DEFAULT_LOGIN_THROTTLE.maxDelaySeconds);
  });

  it('refuses every account from an IP that spent its failure budget, and only from that IP', async () => {
    const subject = throttle({ maxFailuresPerIp: 3, ipWindowSeconds: 600 });
    for (const account of ['a', 'b', 'c']) {
      await subject.recordFailure({ ip: 'ip-spray', accountIp: `${account}@ip-spray` });
    }
    expect(await retryAfter(subject, { ip: 'ip-spray', accountIp: 'd@ip-spray' })).toBe(600);
    expect(await retryAfter(subject, { ip: 'ip-other', accountIp: 'd@ip-other' })).toBeNull();
  });

  it('counts only failures against the IP budget, and a success does not reset it', async () => {
    const subject = throttle({ maxFailuresPerIp: 2 });
    const keys = { ip: 'ip-office', accountIp: 'a@ip-office' };
    await subject.recordSuccess(keys);
    await subject.assertAllowed(keys);
    await subject.recordFailure(keys);
    await subject.release(keys);
    await subject.recordSuccess(keys);
    expect(await retryAfter(subject, keys)).toBeNull();

    await subject.recordFailure({ ip: 'ip-office', accountIp: 'b@ip-office' });
    expect(await retryAfter(subject, keys)).toBe(DEFAULT_LOGIN_THROTTLE.ipWindowSeconds);
  });

  it('admits one attempt at a time per account+IP, so a parallel burst cannot outrun the failure count', async () => {
    const subject = throttle();
    const burst = await Promise.allSettled(Array.from({ length: 10 }, () => subject.assertAllowed(VICTIM_FROM_ATTACKER)));
    expect(burst.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    expect(burst.filter((outcome) => outcome.status === 'rejected' && outcome.reason instanceof RateLimitedError)).toHaveLength(9);
    expect(await retryAfter(subject, VICTIM_AT_HOME)).toBeNull();
    await subject.release(VICTIM_FROM_ATTACKER);
    expect(await retryAfter(subject, VICTIM_FROM_ATTACKER)).toBeNull();
  });

  it('answers with the longer wait when both limits apply', async () => {
    const subject = throttle({ freeFailuresPerAccountIp: 0, maxFailuresPerIp: 1, ipWindowSeconds: 300 });
    await subject.recordFailure(VICTIM_FROM_ATTACKER);
    expect(await retryAfter(subject, VICTIM_FROM_ATTACKER)).toBe(300);
  });

  it('keeps separate throttles (separate processes) apart on the memory backend', async () => {
    const first = throttle({ freeFailuresPerAccountIp: 0 });
    await first.recordFailure(VICTIM_FROM_ATTACKER);
    expect(await retryAfter(first, VICTIM_FROM_ATTACKER)).toBe(1);
    expect(await retryAfter(throttle(), VICTIM_FROM_ATTACKER)).toBeNull();
  });

  it.each([
    { freeFailuresPerAccountIp: -1 },
    { freeFailuresPerAccountIp: 1.5 },
    { maxDelaySeconds: 0 },
    { maxFailuresPerIp: 0 },
    { ipWindowSeconds: 0.5 },
    { ipWindowSeconds: Number.NaN },
  ])('refuses the setting %p', (settings) => {
    expect(() => throttle(settings)).toThrow(RangeError);
  });
});

describe('RateLimiters', () => {
  it('uses memory when no Redis client is given', () => {
    expect(new RateLimiters(undefined).backend).toBe('memory');
  });

  it('prefixes keys with the limiter name', () => {
    const limiter = new RateLimiters(undefined).create({ name: 'login-ip-failures', points: 1, durationSeconds: 1 });
    expect(limiter.getKey('k')).toBe('rl:login-ip-failures:k');
  });

  it.each([
    { name: 'Login:IP', points: 1, durationSeconds: 1 },
    { name: 'login', points: 0, durationSeconds: 1 },
    { name: 'login', points: 1, durationSeconds: 0 },
    { name: 'login', points: 1, durationSeconds: 1.5 },
  ])('refuses the spec %p', (spec) => {
    expect(() => new RateLimiters(undefined).create(spec)).toThrow(RangeError);
  });
});
