import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, runMainToExit, startServer, waitForReady } from '../support/built-app';

describe('boot', () => {
  it('starts fresh on embedded defaults and answers /health/ready with every component', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sc-boot-'));
    const port = 39_000 + Number(process.env.JEST_WORKER_ID ?? 1);
    const server = startServer({ DATA_DIR: dataDir, PORT: String(port), EMBEDDED_POSTGRES_PORT: String(port + 100) });
    try {
      const ready = await waitForReady(port, 60_000);
      expect(ready.status).toBe(200);
      const idlePool = { size: expect.any(Number) as number, idle: expect.any(Number) as number, waiting: 0 };
      expect(ready.body).toEqual({
        status: 'ok',
        components: {
          database: { status: 'up', backend: 'embedded-postgres', details: { pool: idlePool, keyPool: idlePool } },
          keys: { status: 'up', backend: 'local-keyring' },
          cache: { status: 'up', backend: 'memory' },
          storage: { status: 'up', backend: 'local' },
          realtime: { status: 'up', backend: 'in-process' },
          jobs: { status: 'up', backend: 'pg-boss' },
        },
      });
      expect(statSync(join(dataDir, 'keyring', 'master.key')).mode & 0o777).toBe(0o600);
      for (const component of ['database', 'keys', 'storage', 'cache', 'realtime']) {
        expect(server.output()).toContain(`EMBEDDED DEFAULT in use for ${component}`);
      }

      // The CLI beside the running server shares its embedded database; PHI written through it reaches no log.
      const canary = `canary-${Date.now()}`;
      const created = await runCli(['tenant', 'create', '--slug', canary, '--name', 'Boot Clinic', '--admin-email', `${canary}@boot.test`],
        { DATA_DIR: dataDir, EMBEDDED_POSTGRES_PORT: String(port + 100), ADMIN_PASSWORD: 'a long enough password', LOG_LEVEL: 'trace' });
      expect(created.code).toBe(0);
      expect(JSON.parse(created.stdout)).toMatchObject({ slug: canary });
      expect(`${created.stderr}${server.output()}`).not.toContain(`${canary}@boot.test`);
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);

  it('exits 1 naming every bad setting', async () => {
    const result = await runMainToExit({ PORT: 'not-a-port', MIGRATIONS_RUN: 'sometimes' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('PORT');
    expect(result.stderr).toContain('MIGRATIONS_RUN');
  });

  it('refuses to start in production without DATABASE_URL (no embedded defaults)', async () => {
    const result = await runMainToExit({ NODE_ENV: 'production' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/DATABASE_URL: required when NODE_ENV=production/);
    expect(result.stderr).toMatch(/KMS_KEY_ID/);
  });
});
