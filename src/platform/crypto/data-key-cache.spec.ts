import { DataKeyCache } from './data-key-cache';

function loader(value = 'key'): { load: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    load: async () => {
      calls += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return value;
    },
    calls: () => calls,
  };
}

describe('DataKeyCache', () => {
  it('serves a warm key without loading again', async () => {
    const cache = new DataKeyCache<string>({ maxAgeMs: 60_000, maxUses: 1_000_000, maxEntries: 10 });
    const source = loader();
    for (let i = 0; i < 10_000; i += 1) await cache.use('t:data:v1', source.load);
    expect(source.calls()).toBe(1);
  });

  it('coalesces concurrent cold misses into one load', async () => {
    const cache = new DataKeyCache<string>({ maxAgeMs: 60_000, maxUses: 1_000_000, maxEntries: 10 });
    const source = loader();
    await Promise.all(Array.from({ length: 50 }, () => cache.use('t:data:v1', source.load)));
    expect(source.calls()).toBe(1);
  });

  it('retires a key after its maximum number of uses', async () => {
    const cache = new DataKeyCache<string>({ maxAgeMs: 60_000, maxUses: 3, maxEntries: 10 });
    const source = loader();
    for (let i = 0; i < 3; i += 1) await cache.use('k', source.load);
    expect(source.calls()).toBe(1);
    await cache.use('k', source.load);
    expect(source.calls()).toBe(2);
  });

  it('retires a key at its maximum age', async () => {
    let now = 0;
    const cache = new DataKeyCache<string>({ maxAgeMs: 1000, maxUses: 1_000_000, maxEntries: 10 }, () => now);
    const source = loader();
    await cache.use('k', source.load);
    now = 999;
    await cache.use('k', source.load);
    expect(source.calls()).toBe(1);
    now = 1000;
    await cache.use('k', source.load);
    expect(source.calls()).toBe(2);
  });

  it('evicts the oldest entry when full', async () => {
    const cache = new DataKeyCache<string>({ maxAgeMs: 60_000, maxUses: 100, maxEntries: 2 });
    const source = loader();
    await cache.use('a', source.load);
    await cache.use('b', source.load);
    await cache.use('c', source.load);
    expect(cache.size).toBe(2);
    expect(cache.take('a')).toBeUndefined();
    expect(cache.take('c')).toBe('key');
  });

  it('does not cache a failed load', async () => {
    const cache = new DataKeyCache<string>({ maxAgeMs: 60_000, maxUses: 100, maxEntries: 2 });
    await expect(cache.use('k', () => Promise.reject(new Error('kms down')))).rejects.toThrow('kms down');
    await expect(cache.use('k', async () => 'recovered')).resolves.toBe('recovered');
  });
});
