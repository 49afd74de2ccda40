import { Redis } from 'ioredis';
import { DependencyUnavailableError } from '../errors';
import { Cache } from './cache.port';
import { assertTtl } from './memory.cache';

export interface RedisCacheOptions {
  url: string;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  /** Connection errors are reported here; the adapter itself never logs. */
  onError?: (error: Error) => void;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 1_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 1_000;
const MAX_RECONNECT_DELAY_MS = 500;
const DISCONNECT_TIMEOUT_MS = 200;

/**
 * A client tuned to fail fast: a command waits for at most one reconnect attempt and never longer than the
 * command timeout, so a dead Redis surfaces within about a second instead of hanging requests. Reconnection
 * continues in the background. Shared by the cache and the rate limiters.
 */
export function createRedisClient(options: RedisCacheOptions): Redis {
  const redis = new Redis(options.url, {
    connectTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    // ioredis otherwise waits 2 s for a socket that already died before letting the process exit.
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
  });
  // Without a listener ioredis prints every connection error to the console itself.
  redis.on('error', options.onError ?? (() => undefined));
  return redis;
}

/**
 * Production cache. Tuned to fail fast: a command waits for at most one reconnect attempt and never
 * longer than the command timeout, so a dead Redis surfaces as DependencyUnavailableError within about
 * a second instead of hanging requests. Reconnection continues in the background.
 */
export class RedisCache implements Cache {
  readonly backend = 'redis';
  private readonly redis: Redis;
  /** A client passed in by the caller is theirs to close. */
  private readonly ownsClient: boolean;

  constructor(options: RedisCacheOptions | Redis) {
    this.ownsClient = !(options instanceof Redis);
    this.redis = options instanceof Redis ? options : createRedisClient(options);
  }

  async get(key: string): Promise<string | null> {
    return this.run(() => this.redis.get(key));
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    assertTtl(ttlMs);
    await this.run(() => this.redis.set(key, value, 'PX', ttlMs));
  }

  async delete(key: string): Promise<void> {
    await this.run(() => this.redis.del(key));
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    assertTtl(ttlMs);
    // NX starts the window on the first increment only; MULTI keeps INCR and PEXPIRE inseparable.
    const replies = await this.run(() => this.redis.multi().incr(key).pexpire(key, ttlMs, 'NX').exec());
    const [incrReply] = replies ?? [];
    if (!incrReply) throw new DependencyUnavailableError('cache');
    const [error, counter] = incrReply;
    if (error) throw translate(error);
    if (typeof counter !== 'number') throw new DependencyUnavailableError('cache');
    return counter;
  }

  async ping(): Promise<void> {
    await this.run(() => this.redis.ping());
  }

  async close(): Promise<void> {
    if (!this.ownsClient) return;
    if (this.redis.status === 'ready') {
      try {
        await this.redis.quit();
        return;
      } catch {
        // The connection dropped while quitting; disconnect below still releases the socket.
      }
    }
    this.redis.disconnect();
  }

  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error: unknown) {
      throw translate(error);
    }
  }
}

function translate(error: unknown): Error {
  if (isReplyError(error) && error.message.includes('not an integer')) {
    return new TypeError('The cached value is not an integer counter.');
  }
  return new DependencyUnavailableError('cache');
}

function isReplyError(error: unknown): error is { name: 'ReplyError'; message: string } {
  return typeof error === 'object' && error !== null && 'name' in error && error.name === 'ReplyError' &&
    'message' in error && typeof error.message === 'string';
}
