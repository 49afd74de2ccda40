import { setTimeout as sleep } from 'node:timers/promises';

/** Reads until `accept` holds, every 100 ms; fails with the last value read once `timeoutMs` has passed. */
export async function eventually<T>(read: () => Promise<T> | T, accept: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value ${JSON.stringify(value)}`);
    await sleep(100);
  }
}
