import { rmSync } from 'node:fs';
import { Client } from 'pg';
import { testEnvironment } from './test-environment';

export default async function globalTeardown(): Promise<void> {
  const { serverUrl, runId, templateDatabase, dataDir } = testEnvironment();
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1 OR datname = $2`, [`sc_test_${runId}_%`, templateDatabase],
    );
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  await globalThis.scEmbeddedPostgres?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
