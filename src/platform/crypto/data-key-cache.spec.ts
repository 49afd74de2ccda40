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
    const cache = new DataKeyCache<string>({ maxAgeMs: 60_000, maxUses: 3, maxEntries: 10, refreshAhead: 1 });
    const source = loader();
    for (let i = 0; i < 3; i += 1) await cache.use('k', source.load);
    expect(source.calls()).toBe(1);
    await cache.use('k', source.load);
    expect(source.calls()).toBe(2);
  });

  it('retires a key at its maximum age', async () => {
    let now = 0;
    const cache = new DataKeyCache<string>({ maxAgeMs: 1000, maxUses: 1_000_000, maxEntries: 10, refreshAhead: 1 }, () => now);
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

  describe('refresh ahead', () => {
    it('reloads a key nearing its age in the background, so its retirement costs no wait', async () => {
      let now = 0;
      const cache = new DataKeyCache<string>({ maxAgeMs: 1000, maxUses: 1_000_000, maxEntries: 10, refreshAhead: 0.8 }, () => now);
      let calls = 0;
      const load = async (): Promise<string> => {
        calls += 1;
        return `key-${calls}`;
      };
      await cache.use('k', load);
      now = 799;
      expect(cache.take('k', load)).toBe('key-1');
      expect(calls).toBe(1);
      now = 800;
      expect(cache.take('k', load)).toBe('key-1');
      expect(calls).toBe(2);
      await Promise.resolve();
      await Promise.resolve();
      now = 1500;
      expect(cache.take('k', load)).toBe('key-2');
      expect(cache.stats).toEqual({ loads: 2, refreshes: 1, failedRefreshes: 0 });
    });

    it('reloads a key nearing its use limit once, however many requests use it meanwhile', async () => {
      const cache = new DataKeyCache<string>({ maxAgeMs: 60_000, maxUses: 100, maxEntries: 10, refreshAhead: 0.5 });
      const source = loader();
      await cache.use('k', source.load);
      await Promise.all(Array.from({ length: 60 }, () => cache.use('k', source.load)));
      expect(source.calls()).toBe(2);
      await new Promise((resolve) => setTimeout(resolve, 20));
      for (let i = 0; i < 99; i += 1) expect(cache.take('k')).toBe('key');
      expect(source.calls()).toBe(2);
    });

    it('keeps serving the old key when a refresh fails, and retries at a later use', async () => {
      let now = 0;
      const cache = new DataKeyCache<string>({ maxAgeMs: 1000, maxUses: 1_000_000, maxEntries: 10 }, () => now);
      await cache.use('k', async () => 'old');
      now = 900;
      expect(cache.take('k', () => Promise.reject(new Error('kms down')))).toBe('old');
      await new Promise((resolve) => setImmediate(resolve));
      expect(cache.stats.failedRefreshes).toBe(1);
      expect(cache.take('k', async () => 'new')).toBe('old');
      await new Promise((resolve) => setImmediate(resolve));
      expect(cache.take('k')).toBe('new');
    });
  });
});
