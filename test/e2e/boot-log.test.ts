import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, waitForReady } from '../support/built-app';

interface LogLine {
  level?: string;
  context?: string;
  msg?: string;
}

async function bootLog(logLevel: string): Promise<LogLine[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sc-bootlog-'));
  const port = 39_300 + Number(process.env.JEST_WORKER_ID ?? 1);
  const server = startServer({ DATA_DIR: dataDir, PORT: String(port), EMBEDDED_POSTGRES_PORT: String(port + 100), LOG_LEVEL: logLevel });
  try {
    expect((await waitForReady(port, 60_000)).status).toBe(200);
    return server.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as LogLine);
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe('the boot log', () => {
  it('at info holds what an operator reads: the embedded-default notices and the ready line, not the route table', async () => {
    const lines = await bootLog('info');
    const boot = lines.filter((line) => line.msg !== 'request completed');

    expect(boot.map((line) => line.msg)).toEqual(expect.arrayContaining([
      'EMBEDDED DEFAULT in use for database: not for production',
      'sealed-channels is ready',
    ]));
    expect(boot.filter((line) => ['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer'].includes(line.context ?? ''))).toEqual([]);
    expect(boot.length).toBeLessThanOrEqual(10);
  }, 90_000);

  it('at debug still lists every mapped route', async () => {
    const lines = await bootLog('debug');

    const mapped = lines.filter((line) => line.context === 'RouterExplorer');
    expect(mapped.length).toBeGreaterThan(20);
    expect(mapped.every((line) => line.level === 'debug')).toBe(true);
    expect(mapped.map((line) => line.msg)).toContain('Mapped {/v1/users/:id, PATCH} route');
  }, 90_000);
});
