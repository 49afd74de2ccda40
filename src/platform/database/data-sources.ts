import { DataSource } from 'typeorm';
import { migrations } from '../../../migrations';

export const APP_ROLE = 'sealed_app';

/**
 * Three pools over one database URL. `owner` runs migrations and the audit sealer; `app` serves every request
 * and assumes the least-privilege role sealed_app for its whole session, so grants and row-level security
 * apply to every runtime query; `keys`, as sealed_app too, only loads and stores tenant data keys. Keys have a
 * pool of their own because requests need them while holding an `app` connection: were keys loaded through
 * `app`, a burst of requests needing one key could hold every connection while waiting for it (issue 19).
 */
export interface DataSources {
  owner: DataSource;
  app: DataSource;
  keys: DataSource;
}

export interface PoolSizes {
  app: number;
  keys: number;
  /** How long a caller waits for a free connection before the request answers 503 instead of hanging. */
  acquireTimeoutMs: number;
}

export function createDataSources(url: string, pools: PoolSizes): DataSources {
  const common = { type: 'postgres' as const, url, logging: false, parseInt8: true, migrations, migrationsTableName: 'schema_migration' };
  const appRole = (applicationName: string, poolSize: number): DataSource => new DataSource({
    ...common,
    poolSize,
    extra: {
      application_name: applicationName,
      options: `-c role=${APP_ROLE} -c idle_in_transaction_session_timeout=60000`,
      connectionTimeoutMillis: pools.acquireTimeoutMs,
    },
  });
  return {
    owner: new DataSource({ ...common, poolSize: 3, extra: { application_name: 'sealed-channels-owner' } }),
    app: appRole('sealed-channels', pools.app),
    keys: appRole('sealed-channels-keys', pools.keys),
  };
}

export async function initializeDataSources(sources: DataSources, runMigrations: boolean): Promise<void> {
  await sources.owner.initialize();
  if (runMigrations) await sources.owner.runMigrations({ transaction: 'each' });
  await Promise.all([sources.app.initialize(), sources.keys.initialize()]);
}

export async function destroyDataSources(sources: DataSources): Promise<void> {
  await Promise.all([sources.app, sources.keys, sources.owner].filter((s) => s.isInitialized).map((s) => s.destroy()));
}
