export interface DataKeyCacheLimits {
  maxAgeMs: number;
  maxUses: number;
  maxEntries: number;
}

interface Entry<K> {
  value: K;
  expiresAt: number;
  usesLeft: number;
}

/**
 * Plaintext data keys in process memory only, bounded three ways: an entry retires at its maximum age or after
 * its maximum number of uses, and the oldest entries go first when the cache is full. Concurrent misses for
 * one key share a single load, so a cold key costs one KMS call however many requests want it.
 */
export class DataKeyCache<K> {
  private readonly entries = new Map<string, Entry<K>>();
  private readonly loading = new Map<string, Promise<K>>();

  constructor(private readonly limits: DataKeyCacheLimits, private readonly now: () => number = Date.now) {}

  /** Returns the cached key, counting one use, or loads it. */
  async use(cacheKey: string, load: () => Promise<K>): Promise<K> {
    const cached = this.take(cacheKey);
    if (cached !== undefined) return cached;
    let pending = this.loading.get(cacheKey);
    if (!pending) {
      pending = load().then(
        (value) => {
          this.store(cacheKey, value);
          return value;
        },
      ).finally(() => this.loading.delete(cacheKey));
      this.loading.set(cacheKey, pending);
    }
    const value = await pending;
    this.take(cacheKey);
    return value;
  }

  /** The cached key without loading, counting one use; undefined when absent or retired. */
  take(cacheKey: string): K | undefined {
    const entry = this.entries.get(cacheKey);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now() || entry.usesLeft <= 0) {
      this.entries.delete(cacheKey);
      return undefined;
    }
    entry.usesLeft -= 1;
    return entry.value;
  }

  evict(cacheKey: string): void {
    this.entries.delete(cacheKey);
  }

  get size(): number {
    return this.entries.size;
  }

  private store(cacheKey: string, value: K): void {
    this.entries.delete(cacheKey);
    while (this.entries.size >= this.limits.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(cacheKey, { value, expiresAt: this.now() + this.limits.maxAgeMs, usesLeft: this.limits.maxUses });
  }
}
