/**
 * logins/s through the real HTTP login path vs raw argon2.verify with the same parameters, in the same run.
 * Target ≥ 90 %.
 *
 *   npm run bench:login
 *
 * Login:  POST /v1/auth/login {tenant, email, password} → 200, over real sockets to the app from createHttpApp
 *         listening on 127.0.0.1 (guard, interceptors, validation, throttle, argon2 verify, session + refresh token
 *         insert, ES256 access token, audit row). The load comes from autocannon in a worker thread: BENCH_CONCURRENCY
 *         keep-alive connections, one login in flight on each, each connection logging in its own account (the admin
 *         of its own tenant) from 127.0.0.1, with a User-Agent header. Every login succeeds: the throttle's failure
 *         counts never slow them, and its one-attempt-in-flight-per-account+IP lease is never contended.
 * Raw:    argon2.verify(hash, password) on a hash made with PASSWORD_HASH_OPTIONS (argon2id m=19456 t=2 p=1),
 *         BENCH_CONCURRENCY calls in flight in the main thread.
 * Both sides keep the same number of argon2 computations in flight on libuv's threadpool (UV_THREADPOOL_SIZE, 4 by
 * default) over the machine's cores.
 *
 * Environment:
 *   BENCH_CONCURRENCY       calls in flight on each side (default 8)
 *   BENCH_SECONDS           seconds per measurement (default 6); BENCH_ROUNDS rounds per side (default 3);
 *                           BENCH_WARMUP_SECONDS (default 2). Login and raw alternate; the median round is reported.
 *   BENCH_DATABASE_URL      server for the fresh database sc_bench_login_<pid> (dropped at the end, also on failure).
 *   DATABASE_POOL_SIZE, AUDIT_BATCH_WINDOW_MS, SESSION_CHECK_CACHE_MS, REDIS_URL   passed to the app's config.
 */
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import argon2 from 'argon2';
import { PASSWORD_HASH_OPTIONS } from '../src/modules/identity/password-hasher';
import { formatInt, positiveNumberFromEnv, round, verdict } from './bench-support';
import {
  BenchApp, describeRound, figures, HttpLoadGenerator, interleave, machineLoad, medianRate, roundsSettingsFromEnv, runClosedLoop, RunResult, Side,
  startBenchApp, stopOnSignals, summaryTable,
} from './http-load';

const TARGET_PERCENT = 90;
const USER_AGENT = 'sealed-channels-bench/1.0';

/** The argon2 parameters as they appear in an encoded hash, e.g. $argon2id$v=19$m=19456,t=2,p=1$. */
function hashParameters(encoded: string): string {
  return encoded.split('$').slice(1, 4).join('$');
}

function latencies(result: RunResult): string {
  return `${result.p50Ms.toFixed(1)} / ${result.p99Ms.toFixed(1)}`;
}

async function main(): Promise<void> {
  const concurrency = Math.round(positiveNumberFromEnv('BENCH_CONCURRENCY', 8));
  const settings = roundsSettingsFromEnv({ warmupSeconds: 2, seconds: 6, rounds: 3 });
  let bench: BenchApp | undefined;
  let load: HttpLoadGenerator | undefined;
  let countsMatch: boolean;
  try {
    bench = await startBenchApp('login');
    load = new HttpLoadGenerator();
    // The login throttle admits one attempt at a time per account+IP, so each connection logs in its own account
    // (one tenant each, provisioned like any tenant); all of them from 127.0.0.1.
    const password = `bench password ${randomUUID()}`;
    const accounts: { tenant: string; email: string; userId: string }[] = [];
    for (let i = 0; i < concurrency; i += 1) {
      const email = `bench-admin-${i}@clinic.test`;
      const tenant = await bench.provisionTenant(email, password);
      accounts.push({ tenant: tenant.slug, email, userId: tenant.adminUserId });
    }
    const rawHash = await argon2.hash(password, PASSWORD_HASH_OPTIONS);
    const { rows: [stored] } = await bench.owner.query<{ password_hash: string }>('SELECT password_hash FROM app_user WHERE id = $1', [accounts[0].userId]);
    if (hashParameters(stored.password_hash) !== hashParameters(rawHash)) {
      throw new Error(`the stored hash (${hashParameters(stored.password_hash)}) and the raw one (${hashParameters(rawHash)}) differ in parameters`);
    }

    const generator = load;
    const baseUrl = bench.baseUrl;
    let logins = 0;
    const login: Side = {
      name: 'login',
      run: async (seconds) => {
        const result = await generator.run({
          baseUrl,
          connections: concurrency,
          seconds,
          calls: accounts.map(({ tenant, email }) => ({
            method: 'POST', path: '/v1/auth/login', headers: { 'user-agent': USER_AGENT }, jsonBody: JSON.stringify({ tenant, email, password }),
          })),
          expectStatus: 200,
        });
        logins += result.completed;
        return result;
      },
    };
    const raw: Side = {
      name: 'argon2.verify',
      run: (seconds) => runClosedLoop(() => argon2.verify(rawHash, password), concurrency, seconds),
    };

    console.log(`login bench: ${concurrency} in flight on each side (login: ${concurrency} keep-alive HTTP connections from autocannon `
      + `in a worker thread, one account per connection, User-Agent ${USER_AGENT}; `
      + `raw: ${concurrency} concurrent argon2.verify calls), UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`);
    console.log(`${settings.seconds} s per measurement after ${settings.warmupSeconds} s warm-up per side, ${settings.rounds} round(s) per side `
      + `(login/raw alternating, median round reported); node ${process.version}, ${cpus().length} CPUs`);
    console.log(`argon2 parameters (stored hash = raw hash): ${hashParameters(rawHash)}; database ${bench.database} (fresh), `
      + `DATABASE_POOL_SIZE=${bench.platform.config.DATABASE_POOL_SIZE}, cache ${bench.platform.cache.backend}`);
    console.log('');

    console.log(`before: ${machineLoad()}`);
    const outcome = await interleave(login, raw, settings, (side, roundNumber, result) => console.log(describeRound(side, roundNumber, result)));
    console.log(`after: ${machineLoad()}`);

    const loginRate = medianRate(outcome.subject);
    const rawRate = medianRate(outcome.baseline);
    const ratioPercent = (loginRate / rawRate) * 100;
    const result = verdict(ratioPercent, TARGET_PERCENT);
    console.log('');
    console.log(summaryTable('per second', [['login (HTTP)', outcome.subject], ['argon2.verify (raw)', outcome.baseline]]));
    console.log('');
    console.log(`ratio login / raw: ${ratioPercent.toFixed(1)} % (target >= ${TARGET_PERCENT} %): ${result}`);
    console.log(`per round  login: ${outcome.subject.rounds.map((r) => formatInt(r.perSec)).join(', ')}  `
      + `raw: ${outcome.baseline.rounds.map((r) => formatInt(r.perSec)).join(', ')}`);
    console.log(`p50 / p99 ms of the median round  login: ${latencies(outcome.subject.median)}  raw: ${latencies(outcome.baseline.median)}`);

    const { rows: [{ sessions }] } = await bench.owner.query<{ sessions: string }>('SELECT count(*)::text AS sessions FROM auth_session');
    countsMatch = Number(sessions) === logins;
    console.log(`sessions in auth_session: ${formatInt(Number(sessions))}; logins answered 200 (incl. warm-up): ${formatInt(logins)} -> `
      + (countsMatch ? 'MATCH' : 'MISMATCH'));

    console.log(JSON.stringify({
      bench: 'login',
      concurrency,
      uvThreadpoolSize: Number(process.env.UV_THREADPOOL_SIZE ?? 4),
      seconds: settings.seconds,
      rounds: settings.rounds,
      statistic: 'median round',
      node: process.version,
      cpus: cpus().length,
      argon2: hashParameters(rawHash),
      login: figures(outcome.subject.median),
      raw: figures(outcome.baseline.median),
      loginRounds: outcome.subject.rounds.map((r) => Math.round(r.perSec)),
      rawRounds: outcome.baseline.rounds.map((r) => Math.round(r.perSec)),
      ratioPercent: round(ratioPercent, 1),
      targetPercent: TARGET_PERCENT,
      verdict: result,
      sessionsCreated: Number(sessions),
      loginsAnswered: logins,
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
