/**
 * audit events/s through the writer with 16 concurrent writers, for one tenant and for 100 tenants, vs the same
 * INSERTs sent raw with pg in the same run. Target ≥ 50 % in both cases (proves there is no hot lock).
 *
 *   npm run bench:audit
 *
 * Environment:
 *   BENCH_DATABASE_URL   server to use (default postgres://postgres@127.0.0.1:5432/postgres); a fresh database
 *                        sc_bench_<pid> is created on it and dropped at the end, also on failure.
 *   BENCH_SECONDS        seconds per measurement (default 3); BENCH_ROUNDS rounds per case (default 2, best reported).
 *   AUDIT_BATCH_WINDOW_MS, DATABASE_POOL_SIZE   passed to loadConfig, so the writer runs as the platform builds it.
 *   BENCH_AUDIT_MAX_CONCURRENT_BATCHES / BENCH_AUDIT_MAX_BATCH_SIZE   when set, the writer run uses an AuditWriter
 *                        built with these options (over the platform's keys and app pool) instead of platform.audit.
 *
 * Writer run: 16 async workers, each looping `await audit.record(...)` inside runInContext with a user actor.
 * Raw run: a pg.Pool of 16 connected as the database owner, each connection looping one autocommit INSERT per event
 * with the same column values and a precomputed row_mac. The owner bypasses row-level security, so no
 * app.tenant_id setting is needed (the writer, as sealed_app, goes through RLS via audit_append).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Pool, PoolClient } from 'pg';
import { pino } from 'pino';
import { loadConfig } from '../src/config/app-config';
import { AuditEventInput } from '../src/platform/audit/audit-event';
import { AuditWriter, AuditWriterOptions } from '../src/platform/audit/audit.writer';
import { runInContext } from '../src/platform/context/request-context';
import { createPlatform, Platform } from '../src/platform/platform';
import { benchSeconds, formatInt, nowMs, percentileOfSorted, positiveNumberFromEnv, round, table, verdict, Verdict } from './bench-support';

const TARGET_PERCENT = 50;
const WORKERS = 16;
const WARMUP_SECONDS = 0.5;
const IP = '10.20.30.40';
const USER_AGENT = 'sealed-channels-bench/1.0';

type Mode = 'writer' | 'raw';

/** One audit event for the given tenant; resolves once it is committed. */
type EventOp = (tenantId: string) => Promise<void>;

interface RunResult {
  events: number;
  elapsedMs: number;
  eventsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

interface CaseResult {
  tenants: number;
  writer: RunResult;
  raw: RunResult;
  writerRounds: number[];
  rawRounds: number[];
  ratioPercent: number;
  verdict: Verdict;
}

const aborted = { value: false };

function throwIfAborted(): void {
  if (aborted.value) throw new Error('interrupted');
}

/** Runs `workers` loops of `op` for a fixed time, one tenant per event round-robin over `tenants`. */
async function runWorkers(op: (worker: number) => EventOp, tenants: readonly string[], seconds: number): Promise<RunResult> {
  let next = 0;
  const latencies: number[] = [];
  let events = 0;
  const start = nowMs();
  const deadline = start + seconds * 1000;
  const loop = async (worker: number): Promise<void> => {
    const record = op(worker);
    while (!aborted.value && nowMs() < deadline) {
      const tenantId = tenants[next % tenants.length];
      next += 1;
      const began = nowMs();
      await record(tenantId);
      latencies.push(nowMs() - began);
      events += 1;
    }
  };
  const outcomes = await Promise.allSettled(Array.from({ length: WORKERS }, (_, worker) => loop(worker)));
  const elapsedMs = nowMs() - start;
  const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failure) throw new Error(`a worker failed after ${events} events`, { cause: failure.reason });
  const sorted = Float64Array.from(latencies).sort();
  return {
    events,
    elapsedMs,
    eventsPerSec: (events * 1000) / elapsedMs,
    p50Ms: percentileOfSorted(sorted, 50),
    p99Ms: percentileOfSorted(sorted, 99),
  };
}

function writerOp(audit: AuditWriter): (worker: number) => EventOp {
  return () => {
    const userId = randomUUID();
    return (tenantId) => {
      const input: AuditEventInput = {
        action: 'message.read',
        outcome: 'success',
        tenantId,
        resourceType: 'conversation',
        resourceId: randomUUID(),
        details: { count: 1 },
      };
      return runInContext({ requestId: randomUUID(), actor: { type: 'user', id: userId }, tenantId, ip: IP, userAgent: USER_AGENT },
        () => audit.record(input));
    };
  };
}

const RAW_INSERT = `INSERT INTO audit_event (id, tenant_id, occurred_at, actor_type, actor_id, action, resource_type, resource_id,
                                outcome, request_id, ip, user_agent, details, row_mac, mac_key_version)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`;

function rawOp(clients: readonly PoolClient[], rowMac: Buffer): (worker: number) => EventOp {
  return (worker) => {
    const client = clients[worker];
    const userId = randomUUID();
    return async (tenantId) => {
      await client.query(RAW_INSERT, [randomUUID(), tenantId, new Date(), 'user', userId, 'message.read', 'conversation', randomUUID(),
        'success', randomUUID(), IP, USER_AGENT, JSON.stringify({ count: 1 }), rowMac, 1]);
    };
  };
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

function optionalEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

async function main(): Promise<void> {
  const serverUrl = optionalEnv('BENCH_DATABASE_URL') ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const seconds = benchSeconds(3);
  const rounds = Math.round(positiveNumberFromEnv('BENCH_ROUNDS', 2));
  const database = `sc_bench_${process.pid}`;
  const benchUrl = databaseUrl(serverUrl, database);

  const admin = new Client({ connectionString: serverUrl, application_name: 'sc-bench-admin' });
  await admin.connect();
  let dataDir: string | undefined;
  let platform: Platform | undefined;
  let rawPool: Pool | undefined;
  let rawClients: PoolClient[] = [];
  let verified: boolean;
  let closing = false;
  try {
    await admin.query(`CREATE DATABASE ${quoteIdent(database)}`);
    dataDir = await mkdtemp(join(tmpdir(), 'sc-bench-'));
    const env: NodeJS.ProcessEnv = { DATABASE_URL: benchUrl, MIGRATIONS_RUN: 'true', DATA_DIR: dataDir, NODE_ENV: 'test' };
    for (const name of ['AUDIT_BATCH_WINDOW_MS', 'DATABASE_POOL_SIZE']) {
      const value = optionalEnv(name);
      if (value !== undefined) env[name] = value;
    }
    const config = loadConfig(env);
    platform = await createPlatform(config, pino({ level: 'silent' }));

    // The writer as createPlatform builds it, unless the bench is asked to try other options.
    const platformOptions: AuditWriterOptions = {
      batchWindowMs: config.AUDIT_BATCH_WINDOW_MS,
      maxBatchSize: 500,
      maxConcurrentBatches: Math.max(1, Math.floor(config.DATABASE_POOL_SIZE / 4)),
    };
    const customBatches = optionalEnv('BENCH_AUDIT_MAX_CONCURRENT_BATCHES');
    const customSize = optionalEnv('BENCH_AUDIT_MAX_BATCH_SIZE');
    const writerOptions: AuditWriterOptions = {
      ...platformOptions,
      maxConcurrentBatches: customBatches ? Math.round(positiveNumberFromEnv('BENCH_AUDIT_MAX_CONCURRENT_BATCHES', 1)) : platformOptions.maxConcurrentBatches,
      maxBatchSize: customSize ? Math.round(positiveNumberFromEnv('BENCH_AUDIT_MAX_BATCH_SIZE', 1)) : platformOptions.maxBatchSize,
    };
    const custom = customBatches !== undefined || customSize !== undefined;
    const writer = custom ? new AuditWriter(platform.keys, platform.dataSources.app, writerOptions) : platform.audit;

    const pool = new Pool({ connectionString: benchUrl, max: WORKERS, application_name: 'sc-bench-raw' });
    rawPool = pool;
    // An idle client's connection error would otherwise be an unhandled 'error' event. Once the pool is ending, the
    // DROP ... WITH (FORCE) below may still find a closing connection and terminate it: expected, not reported.
    pool.on('error', (error) => {
      if (!closing) console.error('raw pool client error:', error.message);
    });
    rawClients = await Promise.all(Array.from({ length: WORKERS }, () => pool.connect()));
    const rowMac = randomBytes(32);

    const { rows: [{ before }] } = await rawClients[0].query<{ before: string }>('SELECT count(*)::text AS before FROM audit_event');
    let reported = 0;

    console.log(`audit bench: ${WORKERS} concurrent writers, ${seconds} s per measurement after ${WARMUP_SECONDS} s warm-up, `
      + `${rounds} round(s) per case (writer/raw alternating, best round reported); node ${process.version}, ${cpus().length} CPUs`);
    console.log(`database ${database} (fresh), DATABASE_POOL_SIZE=${config.DATABASE_POOL_SIZE}; writer: ${custom ? 'custom AuditWriter' : 'platform.audit'} `
      + `batchWindowMs=${writerOptions.batchWindowMs} maxBatchSize=${writerOptions.maxBatchSize} maxConcurrentBatches=${writerOptions.maxConcurrentBatches}`);
    console.log('writer: audit.record -> SELECT audit_append($1::jsonb) as sealed_app (RLS applies), HMAC row_mac per event');
    console.log(`raw:    pg.Pool(${WORKERS}), one autocommit INSERT per event as the database owner (superuser: row-level security `
      + 'is bypassed, no app.tenant_id setting needed), precomputed 32-byte row_mac, mac_key_version 1');

    const cases: CaseResult[] = [];
    for (const tenantCount of [1, 100]) {
      const tenants = Array.from({ length: tenantCount }, () => randomUUID());
      // Each tenant's audit key is created on first use; do that before any timing (it writes tenant_key, not audit rows).
      await Promise.all(tenants.map((tenantId) => (platform as Platform).keys.current(tenantId, 'audit')));

      const ops: Record<Mode, (worker: number) => EventOp> = { writer: writerOp(writer), raw: rawOp(rawClients, rowMac) };
      for (const mode of ['writer', 'raw'] as const) {
        reported += (await runWorkers(ops[mode], tenants, WARMUP_SECONDS)).events;
        throwIfAborted();
      }
      const runs: Record<Mode, RunResult[]> = { writer: [], raw: [] };
      for (let r = 0; r < rounds; r += 1) {
        for (const mode of r % 2 === 0 ? ['writer', 'raw'] as const : ['raw', 'writer'] as const) {
          const result = await runWorkers(ops[mode], tenants, seconds);
          reported += result.events;
          runs[mode].push(result);
          throwIfAborted();
        }
      }
      const best = (results: RunResult[]): RunResult => results.reduce((a, b) => (b.eventsPerSec > a.eventsPerSec ? b : a));
      const writerBest = best(runs.writer);
      const rawBest = best(runs.raw);
      const ratioPercent = (writerBest.eventsPerSec / rawBest.eventsPerSec) * 100;
      cases.push({
        tenants: tenantCount,
        writer: writerBest,
        raw: rawBest,
        writerRounds: runs.writer.map((r) => r.eventsPerSec),
        rawRounds: runs.raw.map((r) => r.eventsPerSec),
        ratioPercent,
        verdict: verdict(ratioPercent, TARGET_PERCENT),
      });
    }

    const rows: string[][] = [['tenants', 'writer ev/s', 'raw ev/s', 'ratio', 'target', 'result', 'writer p50/p99 ms', 'raw p50/p99 ms']];
    for (const c of cases) {
      rows.push([String(c.tenants), formatInt(c.writer.eventsPerSec), formatInt(c.raw.eventsPerSec), `${c.ratioPercent.toFixed(1)} %`,
        `>= ${TARGET_PERCENT} %`, c.verdict, `${c.writer.p50Ms.toFixed(2)} / ${c.writer.p99Ms.toFixed(2)}`,
        `${c.raw.p50Ms.toFixed(2)} / ${c.raw.p99Ms.toFixed(2)}`]);
    }
    console.log('');
    console.log(table(rows));
    console.log('');
    for (const c of cases) {
      console.log(`${c.tenants} tenant(s) ev/s per round  writer: ${c.writerRounds.map(formatInt).join(', ')}  raw: ${c.rawRounds.map(formatInt).join(', ')}`);
    }

    const { rows: [{ after }] } = await rawClients[0].query<{ after: string }>('SELECT count(*)::text AS after FROM audit_event');
    const written = Number(after) - Number(before);
    verified = written === reported;
    console.log(`rows in audit_event: ${formatInt(written)}; events reported (writer + raw, incl. warm-ups): ${formatInt(reported)} -> `
      + (verified ? 'MATCH' : 'MISMATCH'));

    const summarize = (r: RunResult): Record<string, number> => ({
      eventsPerSec: Math.round(r.eventsPerSec), events: r.events, p50Ms: round(r.p50Ms, 3), p99Ms: round(r.p99Ms, 3),
    });
    console.log(JSON.stringify({
      bench: 'audit',
      workers: WORKERS,
      seconds,
      rounds,
      statistic: 'best round',
      node: process.version,
      cpus: cpus().length,
      writerOptions,
      cases: cases.map((c) => ({
        tenants: c.tenants,
        writer: summarize(c.writer),
        raw: summarize(c.raw),
        ratioPercent: round(c.ratioPercent, 1),
        targetPercent: TARGET_PERCENT,
        verdict: c.verdict,
        writerRounds: c.writerRounds.map(Math.round),
        rawRounds: c.rawRounds.map(Math.round),
      })),
      rowsWritten: written,
      eventsReported: reported,
      countsMatch: verified,
    }));
  } finally {
    closing = true;
    for (const client of rawClients) client.release();
    await platform?.close().catch((error: unknown) => console.error('platform close failed:', error));
    await rawPool?.end().catch((error: unknown) => console.error('raw pool close failed:', error));
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`)
      .catch((error: unknown) => console.error(`could not drop ${database}:`, error));
    await admin.end().catch(() => undefined);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
  if (!verified) process.exitCode = 1;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`${signal}: stopping and dropping the bench database`);
    aborted.value = true;
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
