import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMainToExit, startServer, waitForReady } from '../support/built-app';

// As root the embedded cluster runs as the "postgres" system user; a mktemp -d directory (0700) above DATA_DIR shuts
// it out, as a checkout under /root or in a mktemp -d folder does.
describe('npm start with DATA_DIR inside a mktemp -d directory (mode 0700)', () => {
  const port = 39_200 + Number(process.env.JEST_WORKER_ID ?? 1);
  let privateDir: string;

  beforeEach(() => {
    privateDir = mkdtempSync(join(tmpdir(), 'sc-private-'));
  });
  afterEach(() => {
    rmSync(privateDir, { recursive: true, force: true });
  });

  it('as root: stops at once with one line naming the directory and the setting to change, no EACCES stack', async () => {
    if (process.getuid?.() !== 0) {
      // Not root: the cluster runs as this user, who can enter the directory, so the service simply starts.
      const server = startServer({ DATA_DIR: join(privateDir, 'data'), PORT: String(port), EMBEDDED_POSTGRES_PORT: String(port + 100) });
      try {
        expect((await waitForReady(port, 60_000)).status).toBe(200);
      } finally {
        await server.stop();
      }
      return;
    }
    expect(statSync(privateDir).mode & 0o777).toBe(0o700);

    const result = await runMainToExit({ DATA_DIR: join(privateDir, 'data'), PORT: String(port), EMBEDDED_POSTGRES_PORT: String(port + 100) });

    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      `sealed-channels failed to start: embedded PostgreSQL runs as the system user "postgres", which cannot enter ${privateDir} (mode 0700) ` +
        'above its data directory: set DATA_DIR to a directory every user can enter (for example /var/lib/sealed-channels), or set DATABASE_URL.',
    ]);
    expect(`${result.stdout}${result.stderr}`).not.toContain('EACCES');
  }, 90_000);

  it('starts when DATA_DIR is the mktemp -d directory itself (the service opens DATA_DIR to traversal, nothing above it)', async () => {
    const server = startServer({ DATA_DIR: privateDir, PORT: String(port), EMBEDDED_POSTGRES_PORT: String(port + 100) });
    try {
      expect((await waitForReady(port, 60_000)).status).toBe(200);
    } finally {
      await server.stop();
    }
  }, 90_000);
});
