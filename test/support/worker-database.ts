import { Client } from 'pg';
import { testEnvironment, workerDatabaseName } from './test-environment';

/** Each jest worker gets its own database, cloned once from the migrated template. */
beforeAll(async () => {
  const { serverUrl, templateDatabase } = testEnvironment();
  const name = workerDatabaseName();
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) await admin.query(`CREATE DATABASE ${name} TEMPLATE ${templateDatabase}`);
  } finally {
    await admin.end();
  }
});
