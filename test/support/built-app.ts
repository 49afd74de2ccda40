import { spawn, ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'src', 'main.js');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

/** The e2e tests run the compiled output that `npm start` runs; the global setup builds it once per run. */
export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function baseEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', ...env };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<Finished> {
  return finish(spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: baseEnv(env) }), input);
}

export function runMainToExit(env: NodeJS.ProcessEnv): Promise<Finished> {
  return finish(spawn(process.execPath, [MAIN], { cwd: ROOT, env: baseEnv(env) }));
}

export interface RunningServer {
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export function startServer(env: NodeJS.ProcessEnv): RunningServer {
  const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env: baseEnv(env) });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  return {
    process: child,
    output: () => output,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

export async function waitForReady(port: number, timeoutMs: number): Promise<{ status: number; body: unknown; elapsedMs: number }> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
      return { status: response.status, body: await response.json(), elapsedMs: Date.now() - started };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(`no answer on port ${port} within ${timeoutMs} ms`);
}

function finish(child: ChildProcess, input?: string): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  child.stdin?.end(input ?? '');
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}
