/** Values the global setup decides once per run and every worker reads from the environment. */
export interface TestEnvironment {
  /** Admin URL of the server's maintenance database. */
  serverUrl: string;
  templateDatabase: string;
  runId: string;
  /** A keyring shared by every worker, so keys one test file stores open in the next. */
  dataDir: string;
  /** Empty when Redis is unreachable outside CI. */
  redisUrl: string;
}

const NAMES = {
  serverUrl: 'SC_TEST_SERVER_URL',
  templateDatabase: 'SC_TEST_TEMPLATE_DATABASE',
  runId: 'SC_TEST_RUN_ID',
  dataDir: 'SC_TEST_DATA_DIR',
  redisUrl: 'SC_TEST_REDIS_URL',
} as const;

export function publishTestEnvironment(environment: TestEnvironment): void {
  for (const [key, name] of Object.entries(NAMES) as [keyof TestEnvironment, string][]) process.env[name] = environment[key];
}

export function testEnvironment(): TestEnvironment {
  const read = (name: string): string => {
    const value = process.env[name];
    if (value === undefined) throw new Error(`${name} is not set: run the tests through jest (global setup)`);
    return value;
  };
  return {
    serverUrl: read(NAMES.serverUrl),
    templateDatabase: read(NAMES.templateDatabase),
    runId: read(NAMES.runId),
    dataDir: read(NAMES.dataDir),
    redisUrl: read(NAMES.redisUrl),
  };
}

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export function workerDatabaseName(): string {
  const { runId } = testEnvironment();
  return `sc_test_${runId}_w${process.env.JEST_WORKER_ID ?? '1'}`;
}

/** The worker's own database, cloned from the migrated template. */
export function workerDatabaseUrl(): string {
  return databaseUrl(testEnvironment().serverUrl, workerDatabaseName());
}
