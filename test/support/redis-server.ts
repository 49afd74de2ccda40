import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

const START_TIMEOUT_MS = 10_000;

export function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return address.port;
}

/** A private redis-server, so killing it cannot disturb the shared Redis other tests use. */
export async function startRedisServer(port: number): Promise<ChildProcess> {
  const server = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'], { stdio: 'ignore' });
  // Reconnects until the server listens; a probe that is reconnected by hand leaks a handle and keeps Jest alive.
  const probe = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: null, retryStrategy: () => 50 });
  probe.on('error', () => undefined);
  const settled = new AbortController();
  try {
    await Promise.race([
      probe.ping(),
      once(server, 'exit', { signal: settled.signal }).then(([code]: unknown[]) => {
        throw new Error(`redis-server exited with code ${String(code)} before serving`);
      }),
      sleep(START_TIMEOUT_MS, undefined, { signal: settled.signal }).then(() => {
        throw new Error(`redis-server did not accept connections on port ${port} within ${START_TIMEOUT_MS} ms`);
      }),
    ]);
    return server;
  } catch (error: unknown) {
    server.kill('SIGKILL');
    throw error;
  } finally {
    settled.abort();
    probe.disconnect();
  }
}

export async function killRedisServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = once(server, 'exit');
  server.kill('SIGKILL');
  await exited;
}
