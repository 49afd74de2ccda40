import { Cache } from './cache.port';

export interface MemoryCacheOptions {
  /** When full, the oldest entry is evicted. */
  maxEntries?: number;
  /** Milliseconds since the epoch; injectable so expiry can be tested without sleeping. */
  now?: () => number;
}

interface Entry {
  value: string;
  expiresAt: number;
}

const DEFAULT_MAX_ENTRIES = 10_000;

/**
 * The embedded default: correct for a single process only. Expiry is lazy (checked on read),
 * so there are no timers to keep the process alive.
 */
export class MemoryCache implements Cache {
  readonly backend = 'memory';
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: MemoryCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new RangeError('maxEntries must be a positive integer.');
    }
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  async get(key: string): Promise<string | null> {
    return this.liveEntry(key)?.value ?? null;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    assertTtl(ttlMs);
    // Re-inserting moves the key to the newest end of the Map's insertion order.
    this.entries.delete(key);
    this.insert(key, { value, expiresAt: this.now() + ttlMs });
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    assertTtl(ttlMs);
    const entry = this.liveEntry(key);
    if (!entry) {
      this.insert(key, { value: '1', expiresAt: this.now() + ttlMs });
      return 1;
    }
    const next = parseCounter(entry.value) + 1;
    entry.value = String(next);
    return next;
  }

  async ping(): Promise<void> {
    return;
  }

  async close(): Promise<void> {
    this.entries.clear();
  }

  private liveEntry(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private insert(key: string, entry: Entry): void {
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) return;
      this.entries.delete(oldest.value);
    }
  }
}

export function assertTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new RangeError('ttlMs must be a positive integer number of milliseconds.');
  }
}

/** Mirrors Redis INCR, which refuses a value that is not a 64-bit integer. */
function parseCounter(value: string): number {
  if (!/^-?\d+$/.test(value)) {
    throw new TypeError('The cached value is not an integer counter.');
  }
  const counter = Number(value);
  if (!Number.isSafeInteger(counter + 1)) {
    throw new RangeError('The cached counter would overflow.');
  }
  return counter;
}
