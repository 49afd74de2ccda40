import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import pino from 'pino';
import { loadConfig } from '../../src/config/app-config';
import { createPlatform, Platform, PlatformOverrides } from '../../src/platform/platform';
import { databaseUrl, testEnvironment, workerDatabaseUrl } from './test-environment';

let fileDatabase: Promise<string> | undefined;

/**
 * A database of this test file's own, cloned from the migrated template. Keys wrapped by one key provider open
 * only under that provider, so a file that brings its own (the KMS adapter) must not share the worker's
 * database, whose platform keys the shared keyring wrapped.
 */
function fileDatabaseUrl(): Promise<string> {
  fileDatabase ??= (async () => {
    const { serverUrl, templateDatabase, runId } = testEnvironment();
    const name = `sc_test_${runId}_f${randomUUID().slice(0, 8)}`;
    const admin = new Client({ connectionString: serverUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${templateDatabase}`);
    } finally {
      await admin.end();
    }
    return databaseUrl(serverUrl, name);
  })();
  return fileDatabase;
}

/** A real platform on the worker's database: PostgreSQL, the shared test keyring, memory cache, local store. */
export async function createTestPlatform(overrides: PlatformOverrides = {}, settings: NodeJS.ProcessEnv = {}): Promise<Platform> {
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: overrides.keyProvider ? await fileDatabaseUrl() : workerDatabaseUrl(),
    MIGRATIONS_RUN: 'false',
    DATA_DIR: testEnvironment().dataDir,
    DATABASE_POOL_SIZE: '8',
    LOG_LEVEL: 'silent',
    ...settings,
  });
  return createPlatform(config, pino({ level: 'silent' }), overrides);
}
