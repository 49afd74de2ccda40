/**
 * Short-lived shared state (session checks, rate-limit counters). Values are ids and counters, never PHI.
 * Production: Redis. Embedded default: process memory, correct only for a single process.
 */
export interface Cache {
  readonly backend: 'redis' | 'memory';
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Adds one and returns the new value; the first increment starts the TTL window. */
  increment(key: string, ttlMs: number): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const CACHE = Symbol('Cache');
