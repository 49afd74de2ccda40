/**
 * Shared pieces of the HTTP benchmarks (bench/login.bench.ts, bench/auth.bench.ts, bench/send.bench.ts): the load
 * (autocannon for closed loops, node:http for paced ones, in a worker thread so that it does not share the app's
 * event loop) and the in-process closed loop of the raw baselines, CPU figures, interleaved rounds, and startBenchApp
 * (a real platform on a fresh database, the HTTP app on 127.0.0.1).
 * This file is also the worker's entry point: startBenchApp loads Nest and the platform lazily, the worker never does.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHistogram } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import autocannon from 'autocannon';
import type { Client } from 'pg';
import type { Platform } from '../src/platform/platform';
import type { ProvisionedTenant } from '../src/modules/onboarding';
import { formatInt, median, nowMs, positiveNumberFromEnv, table } from './bench-support';

interface LoopFigures {
  completed: number;
  failed: number;
  elapsedMs: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU of the load generator's thread over the run, in cores; NaN for in-process loops and off Linux. */
  clientThreadCores: number;
  firstFailure?: string;
  /** Paced runs only: how late the generator issued requests (99th percentile, ms); NaN for closed loops. */
  issueLagP99Ms: number;
}

interface CpuUsage {
  /** CPU of this process over the run (all threads: app, load generator, libuv's pool), in cores. */
  processCores: number;
  /** CPU of the main thread (the app's event loop, or the raw loop) over the run, in cores; NaN off Linux. */
  mainThreadCores: number;
  /** Share of the whole machine's CPU time that was busy over the run (this process, PostgreSQL, anything else). */
  machineBusy: number;
}

/** One fixed-time run of a closed loop (HTTP or in-process). */
export interface RunResult extends LoopFigures, CpuUsage {
  perSec: number;
}

class Tally {
  completed = 0;
  failed = 0;
  firstFailure: string | undefined;
  /** In microseconds. */
  private readonly latencies = createHistogram();

  answered(latencyMs: number): void {
    this.completed += 1;
    this.latencies.record(Math.max(1, Math.round(latencyMs * 1000)));
  }

  failure(reason: string, count = 1): void {
    this.failed += count;
    this.firstFailure ??= reason;
  }

  figures(elapsedMs: number, clientThreadCores: number, issueLagP99Ms = Number.NaN): LoopFigures {
    const percentileMs = (p: number): number => (this.completed === 0 ? Number.NaN : this.latencies.percentile(p) / 1000);
    return {
      completed: this.completed, failed: this.failed, elapsedMs, p50Ms: percentileMs(50), p99Ms: percentileMs(99), clientThreadCores, issueLagP99Ms,
      ...(this.firstFailure === undefined ? {} : { firstFailure: this.firstFailure }),
    };
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** CPU seconds used so far by the calling thread; NaN off Linux. */
function threadCpuSeconds(): number {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    // Fields 14 and 15 (utime, stime; 1/100 s) counted from field 3, which follows "pid (comm) ".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

function machineCpuMs(): { busy: number; total: number } {
  let busy = 0;
  let idle = 0;
  for (const { times } of cpus()) {
    busy += times.user + times.nice + times.sys + times.irq;
    idle += times.idle;
  }
  return { busy, total: busy + idle };
}

/** Measures CPU around `work`, which must be awaited on the main thread. */
async function measured<T>(work: () => Promise<T>): Promise<{ value: T; usage: CpuUsage }> {
  const processBefore = process.cpuUsage();
  const threadBefore = threadCpuSeconds();
  const machineBefore = machineCpuMs();
  const start = nowMs();
  const value = await work();
  const seconds = (nowMs() - start) / 1000;
  const processCpu = process.cpuUsage(processBefore);
  const machineAfter = machineCpuMs();
  return {
    value,
    usage: {
      processCores: (processCpu.user + processCpu.system) / 1e6 / seconds,
      mainThreadCores: (threadCpuSeconds() - threadBefore) / seconds,
      machineBusy: (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total),
    },
  };
}

function runResult(figures: LoopFigures, usage: CpuUsage): RunResult {
  return { ...figures, perSec: (figures.completed * 1000) / figures.elapsedMs, ...usage };
}

/** Runs `concurrency` loops of `op` for `seconds`; an op that resolves false or throws counts as failed. */
export async function runClosedLoop(op: () => Promise<boolean>, concurrency: number, seconds: number): Promise<RunResult> {
  const tally = new Tally();
  const { value: elapsedMs, usage } = await measured(async () => {
    const start = nowMs();
    const loop = async (): Promise<void> => {
      while (nowMs() < start + seconds * 1000) {
        const began = nowMs();
        try {
          if (await op()) tally.answered(nowMs() - began);
          else tally.failure('the operation answered false');
        } catch (error: unknown) {
          tally.failure(errorMessage(error));
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, loop));
    return nowMs() - start;
  });
  return runResult(tally.figures(elapsedMs, Number.NaN), usage);
}

export interface HttpCall {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  /** Sent as application/json; several bodies are sent in turn, one per request, round and round. */
  jsonBody?: string | readonly string[];
}

export interface HttpLoadSpec {
  baseUrl: string;
  /** Closed loop: one request in flight on each. Paced: the most sockets the generator opens. */
  connections: number;
  seconds: number;
  /**
   * Closed loop: connection i sends calls[i % calls.length], over and over (e.g. one access token per connection).
   * Paced: request k is calls[k % calls.length], whichever socket is free.
   */
  calls: readonly HttpCall[];
  /** Any other answer counts as a failure. */
  expectStatus: number;
  /**
   * Paced (open loop) instead of closed: requests are issued evenly spaced at this overall rate, whether or not
   * earlier ones were answered (waiting for a free socket counts in the latency). autocannon's overallRate is no
   * substitute: each connection sends its per-second quota back to back at the start of every second.
   */
  ratePerSec?: number;
}

function bodiesOf(call: HttpCall): readonly (string | undefined)[] {
  if (call.jsonBody === undefined || typeof call.jsonBody === 'string') return [call.jsonBody];
  return call.jsonBody;
}

function headersOf(call: HttpCall, body: string | undefined): Record<string, string> | undefined {
  return body === undefined ? call.headers : { ...call.headers, 'content-type': 'application/json' };
}

type LoadReply = LoopFigures | { crash: string };

const LOAD_WORKER_MARKER = 'sealed-channels-http-load-worker';

/** autocannon in its own thread; one run at a time. */
export class HttpLoadGenerator {
  private readonly worker = new Worker(__filename, { workerData: LOAD_WORKER_MARKER });

  async run(spec: HttpLoadSpec): Promise<RunResult> {
    const { value: reply, usage } = await measured(async () => {
      this.worker.postMessage(spec);
      const [answer] = (await once(this.worker, 'message')) as [LoadReply];
      return answer;
    });
    if ('crash' in reply) throw new Error(`load generator failed: ${reply.crash}`);
    return runResult(reply, usage);
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Two fields of autocannon's Client left out of its typings: requests sent, and the cap that `amount` sets. */
interface ConnectionProgress {
  reqsMade: number;
  responseMax: number;
}

const REQUEST_TIMEOUT_SECONDS = 10;

/**
 * A run in the worker. At `seconds` each connection is capped at the requests it has sent: it closes once the one in
 * flight is answered, and autocannon ends the run when all have (its duration is only a backstop). So every request
 * sent is answered and counted, which the database checks rely on, and none spills into the next measurement.
 * Latencies come from the response events: autocannon's own histogram keeps whole milliseconds.
 */
async function runLoad(spec: HttpLoadSpec): Promise<LoopFigures> {
  const tally = new Tally();
  const connections: ConnectionProgress[] = [];
  const threadBefore = threadCpuSeconds();
  const start = nowMs();
  let lastAnswerAt = start;
  let capTimer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve, reject) => {
    const instance = autocannon({
      url: spec.baseUrl,
      connections: spec.connections,
      timeout: REQUEST_TIMEOUT_SECONDS,
      duration: spec.seconds + REQUEST_TIMEOUT_SECONDS + 1,
      sampleInt: 10,
      setupClient: (client) => {
        const call = spec.calls[connections.length % spec.calls.length];
        connections.push(client as autocannon.Client & ConnectionProgress);
        client.setRequests(bodiesOf(call).map((body) => ({
          method: call.method,
          path: call.path,
          headers: headersOf(call, body),
          body,
          onResponse: (status, answer) => {
            if (status !== spec.expectStatus) tally.failure(`${call.method} ${call.path}: HTTP ${status} ${answer.slice(0, 300)}`);
          },
        })));
      },
    }, (error: unknown) => (error ? reject(error) : resolve()));
    instance.on('response', (_client, status, _bytes, responseTimeMs) => {
      lastAnswerAt = nowMs();
      if (status === spec.expectStatus) tally.answered(responseTimeMs);
    });
    instance.on('reqError', (error: unknown) => tally.failure(errorMessage(error)));
    capTimer = setTimeout(() => {
      for (const connection of connections) connection.responseMax = connection.reqsMade;
    }, spec.seconds * 1000);
  }).finally(() => clearTimeout(capTimer));
  const unanswered = connections.reduce((sum, connection) => sum + connection.reqsMade, 0) - tally.completed - tally.failed;
  if (unanswered !== 0) tally.failure(`${unanswered} request(s) unanswered when autocannon ended the run`, unanswered);
  const elapsedMs = (lastAnswerAt > start ? lastAnswerAt : nowMs()) - start;
  return tally.figures(elapsedMs, (threadCpuSeconds() - threadBefore) / (elapsedMs / 1000));
}

interface HttpAnswer {
  status: number;
  body: string;
}

function send(agent: Agent, baseUrl: URL, call: HttpCall, body: string | undefined): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const headers = headersOf(call, body);
    const outgoing = httpRequest({
      agent, host: baseUrl.hostname, port: baseUrl.port, method: call.method, path: call.path, timeout: REQUEST_TIMEOUT_SECONDS * 1000,
      headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_SECONDS} s`)));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/**
 * A paced run in the worker: request k is due at start + k / rate and issued on the first timer tick at or after
 * that; its latency runs from the issue (a wait for a free socket included) to the end of the answer. After
 * `seconds` nothing more is issued and the run ends when every issued request is answered.
 */
async function runPaced(spec: HttpLoadSpec, ratePerSec: number): Promise<LoopFigures> {
  const tally = new Tally();
  /** In microseconds. */
  const issueLag = createHistogram();
  const agent = new Agent({ keepAlive: true, maxSockets: spec.connections });
  const baseUrl = new URL(spec.baseUrl);
  const total = Math.max(1, Math.floor(spec.seconds * ratePerSec));
  const intervalMs = 1000 / ratePerSec;
  const answers: Promise<void>[] = [];
  const threadBefore = threadCpuSeconds();
  const start = nowMs();
  const dueAt = (index: number): number => start + index * intervalMs;
  let lastAnswerAt = start;
  const issue = (index: number): Promise<void> => {
    const call = spec.calls[index % spec.calls.length];
    const bodies = bodiesOf(call);
    const body = bodies[Math.floor(index / spec.calls.length) % bodies.length];
    const issuedAt = nowMs();
    return send(agent, baseUrl, call, body).then((answer) => {
      lastAnswerAt = nowMs();
      if (answer.status === spec.expectStatus) tally.answered(lastAnswerAt - issuedAt);
      else tally.failure(`${call.method} ${call.path}: HTTP ${answer.status} ${answer.body.slice(0, 300)}`);
    }, (error: unknown) => tally.failure(errorMessage(error)));
  };
  try {
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        while (answers.length < total && dueAt(answers.length) <= nowMs()) {
          issueLag.record(Math.max(1, Math.round((nowMs() - dueAt(answers.length)) * 1000)));
          answers.push(issue(answers.length));
        }
        if (answers.length < total) setTimeout(tick, Math.max(0, dueAt(answers.length) - nowMs()));
        else resolve();
      };
      tick();
    });
    await Promise.all(answers);
  } finally {
    agent.destroy();
  }
  const elapsedMs = (lastAnswerAt > start ? lastAnswerAt : nowMs()) - start;
  return tally.figures(elapsedMs, (threadCpuSeconds() - threadBefore) / (elapsedMs / 1000), issueLag.percentile(99) / 1000);
}

if (!isMainThread && workerData === LOAD_WORKER_MARKER) {
  parentPort?.on('message', (spec: HttpLoadSpec) => {
    (spec.ratePerSec === undefined ? runLoad(spec) : runPaced(spec, spec.ratePerSec)).then(
      (figures) => parentPort?.postMessage(figures satisfies LoadReply),
      (error: unknown) => parentPort?.postMessage({ crash: errorMessage(error) } satisfies LoadReply),
    );
  });
}

export interface Side {
  name: string;
  run: (seconds: number) => Promise<RunResult>;
}

export interface SideOutcome {
  rounds: RunResult[];
  /** The round with the median rate (the lower of the two middle ones for an even count). */
  median: RunResult;
}

export interface RoundsSettings {
  warmupSeconds: number;
  seconds: number;
  rounds: number;
}

export function roundsSettingsFromEnv(defaults: RoundsSettings): RoundsSettings {
  return {
    warmupSeconds: positiveNumberFromEnv('BENCH_WARMUP_SECONDS', defaults.warmupSeconds),
    seconds: positiveNumberFromEnv('BENCH_SECONDS', defaults.seconds),
    rounds: Math.round(positiveNumberFromEnv('BENCH_ROUNDS', defaults.rounds)),
  };
}

const interruption = { requested: false };

/** Throws when the run had failures or completed nothing, or when a signal asked the bench to stop. */
export function assertRunClean(side: Side, result: RunResult): void {
  if (interruption.requested) throw new Error('interrupted');
  if (result.failed > 0) throw new Error(`${side.name}: ${result.failed} failed call(s); first: ${result.firstFailure ?? 'unknown'}`);
  if (result.completed === 0) throw new Error(`${side.name}: nothing completed`);
}

/** Warms both sides up, then runs them alternately (who goes first alternates each round). */
export async function interleave(subject: Side, baseline: Side, settings: RoundsSettings,
  onRound: (side: Side, round: number, result: RunResult) => void): Promise<{ subject: SideOutcome; baseline: SideOutcome }> {
  for (const side of [subject, baseline]) assertRunClean(side, await side.run(settings.warmupSeconds));
  const results = new Map<Side, RunResult[]>([[subject, []], [baseline, []]]);
  for (let round = 0; round < settings.rounds; round += 1) {
    for (const side of round % 2 === 0 ? [subject, baseline] : [baseline, subject]) {
      const result = await side.run(settings.seconds);
      assertRunClean(side, result);
      results.get(side)?.push(result);
      onRound(side, round + 1, result);
    }
  }
  const outcome = (side: Side): SideOutcome => {
    const rounds = results.get(side) ?? [];
    const byRate = [...rounds].sort((a, b) => a.perSec - b.perSec);
    return { rounds, median: byRate[Math.floor((byRate.length - 1) / 2)] };
  };
  return { subject: outcome(subject), baseline: outcome(baseline) };
}

export function medianRate(outcome: SideOutcome): number {
  return median(outcome.rounds.map((r) => r.perSec));
}

export interface BenchApp {
  platform: Platform;
  app: NestFastifyApplication;
  baseUrl: string;
  database: string;
  /** The bench database's URL with BENCH_DATABASE_URL's credentials (its owner), for pools of one's own. */
  ownerUrl: string;
  /** A connection to the bench database as its owner (bypasses row-level security): for checks after the runs. */
  owner: Client;
  provisionTenant(adminEmail: string, adminPassword: string): Promise<ProvisionedTenant>;
  close(): Promise<void>;
}

function optionalEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** Settings passed through from the environment to loadConfig, so the app runs as it would be configured. */
const PASSED_THROUGH_SETTINGS = [
  'DATABASE_POOL_SIZE', 'AUDIT_BATCH_WINDOW_MS', 'SESSION_CHECK_CACHE_MS', 'REDIS_URL', 'DATA_KEY_CACHE_MAX_AGE_MS', 'DATA_KEY_CACHE_MAX_USES',
] as const;

/**
 * A fresh database sc_bench_<pid> on BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 * migrated by the platform, a throwaway DATA_DIR, LOG_LEVEL=silent, and the HTTP app listening on 127.0.0.1 on a
 * free port. close() stops everything and drops the database, also after a failure half way.
 */
export async function startBenchApp(name: string): Promise<BenchApp> {
  const [{ Client: PgClient, escapeIdentifier }, { pino }, { loadConfig }, { createPlatform }, { createHttpApp }, { TenantProvisioning }, { cliContext, runInContext }] =
    await Promise.all([
      import('pg'),
      import('pino'),
      import('../src/config/app-config.js'),
      import('../src/platform/platform.js'),
      import('../src/create-app.js'),
      import('../src/modules/onboarding/index.js'),
      import('../src/platform/context/request-context.js'),
    ]);
  const serverUrl = optionalEnv('BENCH_DATABASE_URL') ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const database = `sc_bench_${name}_${process.pid}`;
  const benchUrl = new URL(serverUrl);
  benchUrl.pathname = `/${database}`;
  const admin = new PgClient({ connectionString: serverUrl, application_name: 'sc-bench-admin' });
  await admin.connect();
  const closers: (() => Promise<void>)[] = [async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${escapeIdentifier(database)} WITH (FORCE)`)
      .catch((error: unknown) => console.error(`could not drop ${database}:`, error));
    await admin.end().catch(() => undefined);
  }];
  const close = async (): Promise<void> => {
    for (const closer of closers.reverse()) await closer().catch((error: unknown) => console.error('bench teardown step failed:', error));
  };
  try {
    await admin.query(`CREATE DATABASE ${escapeIdentifier(database)}`);
    const dataDir = await mkdtemp(join(tmpdir(), 'sc-bench-'));
    closers.push(() => rm(dataDir, { recursive: true, force: true }));
    const env: NodeJS.ProcessEnv = { DATABASE_URL: benchUrl.href, MIGRATIONS_RUN: 'true', DATA_DIR: dataDir, NODE_ENV: 'test', LOG_LEVEL: 'silent' };
    for (const setting of PASSED_THROUGH_SETTINGS) {
      const value = optionalEnv(setting);
      if (value !== undefined) env[setting] = value;
    }
    const platform = await createPlatform(loadConfig(env), pino({ level: 'silent' }));
    closers.push(() => platform.close());
    const app = await createHttpApp(platform);
    closers.push(() => app.close());
    await app.listen(0, '127.0.0.1');
    const owner = new PgClient({ connectionString: benchUrl.href, application_name: 'sc-bench-owner' });
    await owner.connect();
    closers.push(() => owner.end());
    return {
      platform,
      app,
      baseUrl: await app.getUrl(),
      database,
      ownerUrl: benchUrl.href,
      owner,
      provisionTenant: (adminEmail, adminPassword) => runInContext(cliContext('bench'), () =>
        app.get(TenantProvisioning).provision({
          slug: `bench-${randomUUID().slice(0, 8)}`, name: 'Bench Clinic', adminEmail, adminPassword,
        })),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** SIGINT/SIGTERM stop the runs at the end of the current measurement; the finally blocks then drop the database. */
export function stopOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`${signal}: stopping after the current measurement and dropping the bench database`);
      interruption.requested = true;
    });
  }
}

/** One progress line per measurement: rate, latency, and where the CPU went. */
export function describeRound(side: Side, round: number, result: RunResult): string {
  const client = Number.isNaN(result.clientThreadCores) ? '' : ` load generator ${result.clientThreadCores.toFixed(2)}`;
  const lag = Number.isNaN(result.issueLagP99Ms) ? '' : `  issue lag p99 ${result.issueLagP99Ms.toFixed(2)} ms`;
  return `round ${round} ${side.name.padEnd(16)} ${Math.round(result.perSec).toLocaleString('en-US').padStart(7)}/s  `
    + `p50 ${result.p50Ms.toFixed(2)} ms  p99 ${result.p99Ms.toFixed(2)} ms  `
    + `CPU cores: process ${result.processCores.toFixed(2)} (main thread ${result.mainThreadCores.toFixed(2)}${client})  `
    + `machine busy ${percent(result.machineBusy)}${lag}`;
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(0)} %`;
}

/** The 1-minute load average: other work on the machine (tests, builds) shows here, and in the figures. */
export function machineLoad(): string {
  return `load average ${loadavg().map((value) => value.toFixed(2)).join(' ')} on ${cpus().length} CPUs`;
}

/** The median rounds side by side: rate (median over the rounds), latency and CPU of the median round. */
export function summaryTable(rateHeader: string, sides: readonly (readonly [string, SideOutcome])[]): string {
  return table([
    ['', rateHeader, 'p50 ms', 'p99 ms', 'process CPU', 'main thread CPU', 'machine busy'],
    ...sides.map(([name, side]) => [
      name, formatInt(medianRate(side)), side.median.p50Ms.toFixed(2), side.median.p99Ms.toFixed(2),
      `${side.median.processCores.toFixed(2)} cores`, `${side.median.mainThreadCores.toFixed(2)} cores`, percent(side.median.machineBusy),
    ]),
  ]);
}

/** Result of a run as compact JSON figures. */
export function figures(result: RunResult): Record<string, number> {
  const round3 = (value: number): number => Math.round(value * 1000) / 1000;
  return {
    perSec: Math.round(result.perSec),
    completed: result.completed,
    p50Ms: round3(result.p50Ms),
    p99Ms: round3(result.p99Ms),
    processCores: round3(result.processCores),
    mainThreadCores: round3(result.mainThreadCores),
    ...(Number.isNaN(result.clientThreadCores) ? {} : { clientThreadCores: round3(result.clientThreadCores) }),
    ...(Number.isNaN(result.issueLagP99Ms) ? {} : { issueLagP99Ms: round3(result.issueLagP99Ms) }),
    machineBusy: round3(result.machineBusy),
  };
}
