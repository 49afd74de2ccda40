/**
 * Authenticated GET /v1/users/me requests/s vs the unauthenticated GET /health/live in the same run. Target ≥ 50 %.
 *
 *   npm run bench:auth
 *
 * Both over real sockets to the app from createHttpApp listening on 127.0.0.1, from autocannon in a worker thread:
 * BENCH_CONNECTIONS keep-alive connections, one request in flight on each.
 * /v1/users/me:  Bearer access token (one session per connection, made by a real login before the runs): access
 *                guard (ES256 verify, session liveness), request context, the user read (unsealing the email and
 *                name) and the audit row written before the answer leaves.
 * /health/live:  public, not audited: Fastify + Nest + the guard's public check + interceptors + helmet headers.
 *
 * Environment:
 *   BENCH_CONNECTIONS       concurrent connections on each side (default 16)
 *   BENCH_SECONDS           seconds per measurement (default 6); BENCH_ROUNDS rounds per side (default 3);
 *                           BENCH_WARMUP_SECONDS (default 2). The two routes alternate; the median round is reported.
 *   BENCH_DATABASE_URL      server for the fresh database sc_bench_auth_<pid> (dropped at the end, also on failure).
 *   DATABASE_POOL_SIZE, AUDIT_BATCH_WINDOW_MS, SESSION_CHECK_CACHE_MS, REDIS_URL   passed to the app's config.
 */
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { formatInt, positiveNumberFromEnv, round, verdict } from './bench-support';
import {
  BenchApp, describeRound, figures, HttpCall, HttpLoadGenerator, interleave, machineLoad, medianRate, roundsSettingsFromEnv, RunResult, Side,
  startBenchApp, stopOnSignals, summaryTable,
} from './http-load';

const TARGET_PERCENT = 50;
const USER_AGENT = 'sealed-channels-bench/1.0';

interface TokenPairAnswer {
  accessToken: string;
}

function isTokenPair(body: unknown): body is TokenPairAnswer {
  return typeof body === 'object' && body !== null && typeof (body as Partial<TokenPairAnswer>).accessToken === 'string';
}

/** A real login over HTTP; returns the access token of the new session. */
async function login(baseUrl: string, tenant: string, email: string, password: string): Promise<string> {
  const response = await fetch(`${baseUrl}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT },
    body: JSON.stringify({ tenant, email, password }),
  });
  const body: unknown = await response.json();
  if (response.status !== 200 || !isTokenPair(body)) throw new Error(`login failed: HTTP ${response.status} ${JSON.stringify(body)}`);
  return body.accessToken;
}

function latencies(result: RunResult): string {
  return `${result.p50Ms.toFixed(2)} / ${result.p99Ms.toFixed(2)}`;
}

async function main(): Promise<void> {
  const connections = Math.round(positiveNumberFromEnv('BENCH_CONNECTIONS', 16));
  const settings = roundsSettingsFromEnv({ warmupSeconds: 2, seconds: 6, rounds: 3 });
  let bench: BenchApp | undefined;
  let load: HttpLoadGenerator | undefined;
  let countsMatch: boolean;
  try {
    bench = await startBenchApp('auth');
    load = new HttpLoadGenerator();
    const password = `bench password ${randomUUID()}`;
    const email = 'bench-admin@clinic.test';
    const tenant = await bench.provisionTenant(email, password);
    const tokens: string[] = [];
    for (let i = 0; i < connections; i += 1) tokens.push(await login(bench.baseUrl, tenant.slug, email, password));

    const generator = load;
    const baseUrl = bench.baseUrl;
    let meAnswered = 0;
    const sideOver = (name: string, calls: HttpCall[], onResult: (result: RunResult) => void): Side => ({
      name,
      run: async (seconds) => {
        const result = await generator.run({ baseUrl, connections, seconds, calls, expectStatus: 200 });
        onResult(result);
        return result;
      },
    });
    const me = sideOver('GET /v1/users/me', tokens.map((token) => ({
      method: 'GET', path: '/v1/users/me', headers: { authorization: `Bearer ${token}`, 'user-agent': USER_AGENT },
    })), (result) => { meAnswered += result.completed; });
    const health = sideOver('GET /health/live', [{ method: 'GET', path: '/health/live', headers: { 'user-agent': USER_AGENT } }], () => undefined);

    const { config } = bench.platform;
    console.log(`auth bench: ${connections} keep-alive HTTP connections on each side from autocannon in a worker thread, one request in flight on each; `
      + `/v1/users/me with one session (Bearer token) per connection`);
    console.log(`${settings.seconds} s per measurement after ${settings.warmupSeconds} s warm-up per side, ${settings.rounds} round(s) per side `
      + `(routes alternating, median round reported); node ${process.version}, ${cpus().length} CPUs`);
    console.log(`database ${bench.database} (fresh), DATABASE_POOL_SIZE=${config.DATABASE_POOL_SIZE}, AUDIT_BATCH_WINDOW_MS=${config.AUDIT_BATCH_WINDOW_MS}, `
      + `SESSION_CHECK_CACHE_MS=${config.SESSION_CHECK_CACHE_MS}, cache ${bench.platform.cache.backend}, LOG_LEVEL=${config.LOG_LEVEL}`);
    console.log('');
    console.log(`before: ${machineLoad()}`);
    const outcome = await interleave(me, health, settings, (side, roundNumber, result) => console.log(describeRound(side, roundNumber, result)));
    console.log(`after: ${machineLoad()}`);

    const meRate = medianRate(outcome.subject);
    const healthRate = medianRate(outcome.baseline);
    const ratioPercent = (meRate / healthRate) * 100;
    const result = verdict(ratioPercent, TARGET_PERCENT);
    console.log('');
    console.log(summaryTable('requests/s', [['GET /v1/users/me (Bearer)', outcome.subject], ['GET /health/live', outcome.baseline]]));
    console.log('');
    console.log(`ratio /v1/users/me / /health/live: ${ratioPercent.toFixed(1)} % (target >= ${TARGET_PERCENT} %): ${result}`);
    console.log(`per round  /v1/users/me: ${outcome.subject.rounds.map((r) => formatInt(r.perSec)).join(', ')}  `
      + `/health/live: ${outcome.baseline.rounds.map((r) => formatInt(r.perSec)).join(', ')}`);
    console.log(`p50 / p99 ms of the median round  /v1/users/me: ${latencies(outcome.subject.median)}  /health/live: ${latencies(outcome.baseline.median)}`);

    // One event per request, naming the profile it read (read.user.ids): the read is audited inside it.
    const { rows: [audited] } = await bench.owner.query<{ events: string; naming_read: string }>(
      `SELECT count(*)::text AS events, count(*) FILTER (WHERE details ? 'read.user.ids')::text AS naming_read
         FROM audit_event WHERE outcome = 'success' AND action = 'user.me'`);
    const auditRowsUserMe = Number(audited.events);
    const auditRowsNamingRead = Number(audited.naming_read);
    countsMatch = auditRowsUserMe === meAnswered && auditRowsNamingRead === meAnswered;
    console.log(`audit rows user.me: ${formatInt(auditRowsUserMe)} (naming the profile read: ${formatInt(auditRowsNamingRead)}); `
      + `/v1/users/me answered 200 (incl. warm-up): ${formatInt(meAnswered)} -> ${countsMatch ? 'MATCH' : 'MISMATCH'}`);

    console.log(JSON.stringify({
      bench: 'auth',
      connections,
      seconds: settings.seconds,
      rounds: settings.rounds,
      statistic: 'median round',
      node: process.version,
      cpus: cpus().length,
      me: figures(outcome.subject.median),
      health: figures(outcome.baseline.median),
      meRounds: outcome.subject.rounds.map((r) => Math.round(r.perSec)),
      healthRounds: outcome.baseline.rounds.map((r) => Math.round(r.perSec)),
      ratioPercent: round(ratioPercent, 1),
      targetPercent: TARGET_PERCENT,
      verdict: result,
      auditRowsUserMe,
      auditRowsNamingRead,
      meAnswered,
      countsMatch,
    }));
  } finally {
    await load?.close();
    await bench?.close();
  }
  process.exit(countsMatch ? 0 : 1);
}

stopOnSignals();
main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
