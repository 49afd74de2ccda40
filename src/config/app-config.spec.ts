import { embeddedDefaults, InvalidConfigError, loadConfig } from './app-config';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof InvalidConfigError) return error.problems.map((p) => p.setting);
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('uses the embedded defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.MIGRATIONS_RUN).toBe(true);
    expect(embeddedDefaults(config)).toEqual(['database', 'keys', 'storage', 'cache', 'realtime']);
  });

  it('converts numbers and booleans from strings', () => {
    const config = loadConfig({ PORT: '8080', MIGRATIONS_RUN: 'false', DATABASE_URL: 'postgres://u@db:5432/x' });
    expect(config.PORT).toBe(8080);
    expect(config.MIGRATIONS_RUN).toBe(false);
    expect(embeddedDefaults(config)).not.toContain('database');
  });

  it('names every bad setting at once', () => {
    expect(problemsOf({ PORT: 'abc', MIGRATIONS_RUN: 'maybe', DATABASE_URL: 'mysql://x' }).sort()).toEqual(
      ['DATABASE_URL', 'MIGRATIONS_RUN', 'PORT'],
    );
  });

  it('refuses embedded defaults in production', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual(
      expect.arrayContaining(['DATABASE_URL', 'KMS_KEY_ID', 'S3_BUCKET', 'REDIS_URL', 'CENTRIFUGO_API_URL']),
    );
  });

  it('reads the job queue settings and refuses a poll faster than pg-boss allows', () => {
    const config = loadConfig({ JOBS_POOL_SIZE: '6', JOBS_POLL_INTERVAL_MS: '750', JOBS_STUCK_AFTER_MS: '60000' });
    expect([config.JOBS_POOL_SIZE, config.JOBS_POLL_INTERVAL_MS, config.JOBS_STUCK_AFTER_MS]).toEqual([6, 750, 60000]);
    expect(problemsOf({ JOBS_POLL_INTERVAL_MS: '100', JOBS_POOL_SIZE: '1', JOBS_STUCK_AFTER_MS: '10' }).sort())
      .toEqual(['JOBS_POLL_INTERVAL_MS', 'JOBS_POOL_SIZE', 'JOBS_STUCK_AFTER_MS']);
  });

  it('ignores unrelated environment variables', () => {
    expect(() => loadConfig({ PATH: '/usr/bin', HOME: '/root' })).not.toThrow();
  });
});
