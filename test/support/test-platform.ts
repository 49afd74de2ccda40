import pino from 'pino';
import { loadConfig } from '../../src/config/app-config';
import { createPlatform, Platform, PlatformOverrides } from '../../src/platform/platform';
import { testEnvironment, workerDatabaseUrl } from './test-environment';

/** A real platform on the worker's database: PostgreSQL, the shared test keyring, memory cache, local store. */
export function createTestPlatform(overrides: PlatformOverrides = {}, settings: NodeJS.ProcessEnv = {}): Promise<Platform> {
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: workerDatabaseUrl(),
    MIGRATIONS_RUN: 'false',
    DATA_DIR: testEnvironment().dataDir,
    DATABASE_POOL_SIZE: '8',
    LOG_LEVEL: 'silent',
    ...settings,
  });
  return createPlatform(config, pino({ level: 'silent' }), overrides);
}
