import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { EmbeddedPostgresHandle, startEmbeddedPostgres } from '../../src/platform/database/embedded-postgres';
import { freePort } from './redis-server';

const DATABASE = 'sealed_crash';
const SIGNAL_SETTLE_MS = 5_000;
const EXIT_WAIT_MS = 15_000;
const RESTART_ATTEMPTS = 3;

/** What a crash took down: the postmaster and every process it had forked at that instant. */
export interface Crash {
  postmaster: number;
  children: number[];
}

/** The state letter of /proc/<pid>/stat (R, S, D, T, Z, ...), or undefined once the process is gone. */
function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is parenthesised and may itself hold spaces or parentheses: parse after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function childrenOf(parent: number): number[] {
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number).filter((pid) => parentOf(pid) === parent);
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone: exactly what we want.
  }
}

/** The first line of postmaster.pid is the postmaster's PID (PostgreSQL's own lock file). */
export function postmasterPid(dataDir: string): number {
  const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no postmaster PID in ${dataDir}/postmaster.pid`);
  return pid;
}

async function waitUntil(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/**
 * A PostgreSQL cluster of one test file's own (embedded-postgres in a temporary directory, on a free port) that
 * can be killed with SIGKILL and restarted on the same data directory, so a crash cannot touch the shared
 * server other test files use.
 */
export class CrashablePostgres {
  private constructor(
    private readonly logChunks: string[],
    private readonly root: string,
    readonly dataDir: string,
    readonly port: number,
    /** Undefined while the cluster is down: a killed handle's stop() would wait forever for an exit already seen. */
    private handle: EmbeddedPostgresHandle | undefined,
    readonly url: string,
  ) {}

  static async start(): Promise<CrashablePostgres> {
    const root = mkdtempSync(join(tmpdir(), 'sc-crash-pg-'));
    const dataDir = join(root, 'pg');
    const port = await freePort();
    const logChunks: string[] = [];
    try {
      const handle = await startEmbeddedPostgres({ dataDir, port, database: DATABASE, onLog: (line) => logChunks.push(line) });
      return new CrashablePostgres(logChunks, root, dataDir, port, handle, handle.url);
    } catch (error: unknown) {
      rmSync(root, { recursive: true, force: true });
      throw new Error(`embedded PostgreSQL did not start: ${String(error)}\n${logChunks.join('')}`, { cause: error });
    }
  }

  /** How much server log exists now; pass it to logSince to read what a later step printed. */
  logMark(): number {
    return this.logChunks.length;
  }

  logSince(mark: number): string {
    return this.logChunks.slice(mark).join('');
  }

  /**
   * kill -9 of the whole server, as an OOM kill or a lost machine would do it. The postmaster is stopped first so
   * that it can neither fork a backend after the snapshot of its children nor run its own crash recovery when
   * they die; the children die next (so none lives to notice the postmaster's death and tell its client), then
   * the postmaster. Killing the postmaster alone would leave its backends running until they noticed, free to
   * finish the statement in hand, and holding the shared memory that makes a restart refuse to start.
   */
  async kill(): Promise<Crash> {
    const postmaster = postmasterPid(this.dataDir);
    this.handle = undefined;
    try {
      process.kill(postmaster, 'SIGSTOP');
      await waitUntil(() => processState(postmaster) === 'T', SIGNAL_SETTLE_MS, `postmaster ${postmaster} to stop`);
      const children = childrenOf(postmaster);
      for (const pid of children) killQuietly(pid);
      return { postmaster, children };
    } finally {
      // Also when stopping failed: a half-killed server must not linger.
      killQuietly(postmaster);
    }
  }

  /**
   * Starts the same cluster again; PostgreSQL replays its WAL (crash recovery) before it accepts connections.
   * The stale postmaster.pid is accepted only once its PID is gone, so this waits for that first; the
   * orphaned children may stay zombies (PID 1 of a container need not reap them), which hold no shared memory.
   */
  async restart(crash: Crash): Promise<void> {
    await waitUntil(() => processState(crash.postmaster) === undefined, EXIT_WAIT_MS, `postmaster ${crash.postmaster} to be reaped`);
    await waitUntil(() => crash.children.every((pid) => [undefined, 'Z'].includes(processState(pid))), EXIT_WAIT_MS, 'the killed backends to exit');
    let lastFailure: unknown;
    for (let attempt = 1; attempt <= RESTART_ATTEMPTS; attempt += 1) {
      try {
        this.handle = await startEmbeddedPostgres({ dataDir: this.dataDir, port: this.port, database: DATABASE, onLog: (line) => this.logChunks.push(line) });
        return;
      } catch (error: unknown) {
        lastFailure = error;
        await sleep(1_000);
      }
    }
    throw new Error(`PostgreSQL did not restart after ${RESTART_ATTEMPTS} attempts (${String(lastFailure)}); server log:\n${this.logChunks.join('')}`, { cause: lastFailure });
  }

  /** Runs an inspection as the cluster's superuser (row-level security does not apply), then disconnects. */
  async asSuperuser<T>(inspect: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ connectionString: this.url });
    await client.connect();
    try {
      return await inspect(client);
    } finally {
      await client.end();
    }
  }

  /**
   * Stops the server if it runs and removes its files. A killed, not restarted server has nothing left to stop;
   * its stale postmaster.pid names a PID that may already belong to another process, so it is never signalled.
   */
  async destroy(): Promise<void> {
    try {
      if (this.handle) await this.handle.stop();
    } finally {
      this.handle = undefined;
      rmSync(this.root, { recursive: true, force: true });
    }
  }
}
