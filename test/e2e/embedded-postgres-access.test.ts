import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runMainToExit, startServer, waitForReady } from '../support/built-app';

/** `node dist/src/main.js` of a checkout elsewhere; symlinks kept as paths, so its node_modules seem to live there. */
function startCheckoutMain(checkout: string, env: NodeJS.ProcessEnv): { exited: Promise<number | null>; output: () => string; kill: () => void } {
  const child = spawn(process.execPath, ['--preserve-symlinks', '--preserve-symlinks-main', join(checkout, 'dist', 'src', 'main.js')], {
    cwd: checkout,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { exited, output: () => output, kill: () => child.kill('SIGTERM') };
}

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

  it('as root, from a checkout inside it: stops with one line saying to move the checkout, before initdb fails with EACCES', async () => {
    const checkout = join(privateDir, 'sealed-channels');
    mkdirSync(checkout);
    cpSync(join(ROOT, 'dist'), join(checkout, 'dist'), { recursive: true });
    cpSync(join(ROOT, 'policies'), join(checkout, 'policies'), { recursive: true });
    symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(checkout, 'node_modules'));

    const main = startCheckoutMain(checkout, { PORT: String(port), EMBEDDED_POSTGRES_PORT: String(port + 100) });

    if (process.getuid?.() !== 0) {
      // Not root: the cluster runs as this user, who can enter the directory, so the service simply starts.
      try {
        expect((await waitForReady(port, 60_000)).status).toBe(200);
      } finally {
        main.kill();
        await main.exited;
      }
      return;
    }
    expect(await main.exited).toBe(1);
    const plainLines = main.output().trim().split('\n').filter((line) => !line.startsWith('{'));
    expect(plainLines).toEqual([
      `sealed-channels failed to start: embedded PostgreSQL runs as the system user "postgres", which cannot enter ${privateDir} (mode 0700) ` +
        'above its binaries: move the checkout under a directory every user can enter (for example /opt or /srv), or set DATABASE_URL.',
    ]);
    expect(main.output()).not.toContain('EACCES');
  }, 90_000);
});
