export interface DataKeyCacheLimits {
  maxAgeMs: number;
  maxUses: number;
  maxEntries: number;
  /**
   * Share of an entry's age or uses after which a use starts loading its successor in the background, so that
   * retirement under load finds the next key already there. 0.8 when absent.
   */
  refreshAhead?: number;
}

export interface DataKeyCacheStats {
  /** Loads started: cold misses, retirements and refreshes ahead. */
  loads: number;
  /** Of those, refreshes ahead started while the old entry still served. */
  refreshes: number;
  /** Refreshes ahead that failed (the old entry kept serving until it retired). */
  failedRefreshes: number;
}

interface Entry<K> {
  value: K;
  expiresAt: number;
  usesLeft: number;
  refreshAt: number;
  refreshBelowUses: number;
}

const DEFAULT_REFRESH_AHEAD = 0.8;

/**
 * Plaintext data keys in process memory only, bounded three ways: an entry retires at its maximum age or after
 * its maximum number of uses, and the oldest entries go first when the cache is full. Concurrent misses for
 * one key share a single load, so a cold key costs one KMS call however many requests want it; an entry near
 * its age or use limit is reloaded in the background while it still serves.
 */
export class DataKeyCache<K> {
  private readonly entries = new Map<string, Entry<K>>();
  private readonly loading = new Map<string, Promise<K>>();
  private readonly refreshAhead: number;
  private readonly counters: DataKeyCacheStats = { loads: 0, refreshes: 0, failedRefreshes: 0 };

  constructor(private readonly limits: DataKeyCacheLimits, private readonly now: () => number = Date.now) {
    this.refreshAhead = Math.min(1, Math.max(0, limits.refreshAhead ?? DEFAULT_REFRESH_AHEAD));
  }

  /** Returns the cached key, counting one use, or loads it. */
  async use(cacheKey: string, load: () => Promise<K>): Promise<K> {
    const cached = this.take(cacheKey, load);
    if (cached !== undefined) return cached;
    const value = await this.load(cacheKey, load);
    this.take(cacheKey);
    return value;
  }

  /**
   * The cached key without loading, counting one use; undefined when absent or retired. Given `load`, an entry
   * near its limits also starts its background refresh.
   */
  take(cacheKey: string, load?: () => Promise<K>): K | undefined {
    const entry = this.live(cacheKey);
    if (!entry) return undefined;
    entry.usesLeft -= 1;
    if (load) this.refreshIfDue(cacheKey, entry, load);
    return entry.value;
  }

  /** Stores a value loaded under another name (the current key is also its own version). */
  prime(cacheKey: string, value: K): void {
    if (!this.live(cacheKey)) this.store(cacheKey, value);
  }

  evict(cacheKey: string): void {
    this.entries.delete(cacheKey);
  }

  get size(): number {
    return this.entries.size;
  }

  get stats(): Readonly<DataKeyCacheStats> {
    return { ...this.counters };
  }

  private live(cacheKey: string): Entry<K> | undefined {
    const entry = this.entries.get(cacheKey);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now() || entry.usesLeft <= 0) {
      this.entries.delete(cacheKey);
      return undefined;
    }
    return entry;
  }

  private refreshIfDue(cacheKey: string, entry: Entry<K>, load: () => Promise<K>): void {
    if (this.loading.has(cacheKey)) return;
    if (entry.usesLeft >= entry.refreshBelowUses && this.now() < entry.refreshAt) return;
    this.counters.refreshes += 1;
    // The old entry serves until the successor is stored; a failed refresh leaves the next use to retry.
    this.load(cacheKey, load).catch(() => {
      this.counters.failedRefreshes += 1;
    });
  }

  /** One load per key at a time: every caller of a key being loaded waits on the same promise. */
  private load(cacheKey: string, load: () => Promise<K>): Promise<K> {
    let pending = this.loading.get(cacheKey);
    if (!pending) {
      this.counters.loads += 1;
      pending = load()
        .then((value) => {
          this.store(cacheKey, value);
          return value;
        })
        .finally(() => this.loading.delete(cacheKey));
      this.loading.set(cacheKey, pending);
    }
    return pending;
  }

  private store(cacheKey: string, value: K): void {
    this.entries.delete(cacheKey);
    while (this.entries.size >= this.limits.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    const now = this.now();
    const { maxAgeMs, maxUses } = this.limits;
    this.entries.set(cacheKey, {
      value,
      expiresAt: now + maxAgeMs,
      usesLeft: maxUses,
      refreshAt: now + Math.floor(maxAgeMs * this.refreshAhead),
      refreshBelowUses: Math.ceil(maxUses * (1 - this.refreshAhead)),
    });
  }
}
