import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import Redis from 'ioredis';
import { createDataSources, destroyDataSources, initializeDataSources } from '../../src/platform/database/data-sources';
import { EmbeddedPostgresHandle, startEmbeddedPostgres } from '../../src/platform/database/embedded-postgres';
import { LocalKeyringKeyProvider } from '../../src/platform/crypto/local-keyring.key-provider';
import { databaseUrl, publishTestEnvironment } from './test-environment';

declare global {
  var scEmbeddedPostgres: EmbeddedPostgresHandle | undefined;
}

const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';
const LOCAL_REDIS = 'redis://127.0.0.1:6379';
const inCi = process.env.CI === 'true';

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
  if (await reachable(LOCAL_POSTGRES)) return LOCAL_POSTGRES;
  if (inCi) throw new Error(`CI=true and no PostgreSQL at ${LOCAL_POSTGRES}: start it (see .ci/run); tests never skip the database.`);
  console.warn('\n[test] No PostgreSQL on 127.0.0.1:5432: starting embedded-postgres for this run.');
  globalThis.scEmbeddedPostgres = await startEmbeddedPostgres({ dataDir: join(dataDir, 'pg'), port: 54330, database: 'postgres' });
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
  const sources = createDataSources(databaseUrl(server, templateDatabase), 1);
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
