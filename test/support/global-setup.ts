import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import Redis from 'ioredis';
import { createDataSources, destroyDataSources, initializeDataSources } from '../../src/platform/database/data-sources';
import type { EmbeddedPostgresHandle } from '../../src/platform/database/embedded-postgres';
import { LocalKeyringKeyProvider } from '../../src/platform/crypto/local-keyring.key-provider';
import { startEmbeddedPostgresProcess } from './embedded-postgres-process';
import { freePort } from './redis-server';
import { databaseUrl, publishTestEnvironment } from './test-environment';

declare global {
  var scEmbeddedPostgres: EmbeddedPostgresHandle | undefined;
}

const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';
const LOCAL_REDIS = 'redis://127.0.0.1:6379';
const inCi = process.env.CI === 'true';
/**
 * TEST_EMBEDDED_POSTGRES=1 takes the laptop path (embedded-postgres) even where a server answers on 5432, so that
 * path can be run on any machine, CI included; TEST_DATABASE_URL still wins over it.
 */
const forceEmbedded = process.env.TEST_EMBEDDED_POSTGRES === '1';

async function reachable(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1500 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function serverUrl(dataDir: string): Promise<string> {
  if (process.env.TEST_DATABASE_URL) return process.env.TEST_DATABASE_URL;
  if (forceEmbedded) {
    console.warn('\n[test] TEST_EMBEDDED_POSTGRES=1: starting embedded-postgres for this run.');
  } else {
    if (await reachable(LOCAL_POSTGRES)) return LOCAL_POSTGRES;
    if (inCi) throw new Error(`CI=true and no PostgreSQL at ${LOCAL_POSTGRES}: start it (see .ci/run); tests never skip the database.`);
    console.warn('\n[test] No PostgreSQL on 127.0.0.1:5432: starting embedded-postgres for this run.');
  }
  // A free port, not a fixed one: startEmbeddedPostgres adopts any cluster already answering on its port, which
  // would be another run's (whose teardown then stops it under this one) or one that a killed run left behind.
  // The cluster's own process removes dataDir once the cluster is down, also when this run is interrupted.
  globalThis.scEmbeddedPostgres = await startEmbeddedPostgresProcess({ dataDir: join(dataDir, 'pg'), port: await freePort(), database: 'postgres', ownedDir: dataDir });
  return globalThis.scEmbeddedPostgres.url;
}

async function redisUrl(): Promise<string> {
  const url = process.env.REDIS_URL ?? LOCAL_REDIS;
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 1500, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
    return url;
  } catch {
    if (inCi) throw new Error(`CI=true and no Redis at ${url}: start it (see .ci/run); tests never skip the cache.`);
    console.warn(`\n[test] No Redis at ${url}: cache contract tests run against the in-memory adapter only.`);
    return '';
  } finally {
    redis.disconnect();
  }
}

export default async function globalSetup(): Promise<void> {
  const runId = `${process.pid}_${Date.now().toString(36)}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'sc-test-'));
  mkdirSync(join(dataDir, 'keyring'), { recursive: true });
  new LocalKeyringKeyProvider(join(dataDir, 'keyring', 'master.key'));

  const server = await serverUrl(dataDir);
  const templateDatabase = `sc_tpl_${runId}`;
  const admin = new Client({ connectionString: server });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${templateDatabase}`);
  } finally {
    await admin.end();
  }
  const sources = createDataSources(databaseUrl(server, templateDatabase), { app: 1, keys: 1, acquireTimeoutMs: 10_000 });
  try {
    await initializeDataSources(sources, true);
  } finally {
    await destroyDataSources(sources);
  }
  // The end-to-end tests run the compiled service and CLI, exactly what `npm start` runs. Running only
  // integration files, TEST_SKIP_BUILD=1 leaves dist/ alone (and so never races another run's build).
  if (process.env.TEST_SKIP_BUILD !== '1') execFileSync('npm', ['run', '--silent', 'build'], { cwd: join(__dirname, '..', '..'), stdio: 'inherit' });
  publishTestEnvironment({ serverUrl: server, templateDatabase, runId, dataDir, redisUrl: await redisUrl() });
}
