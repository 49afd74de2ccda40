import { DataSource } from 'typeorm';
import { migrations } from '../../../migrations';

export const APP_ROLE = 'sealed_app';

/**
 * Two pools over one database URL. `owner` runs migrations and the audit sealer; `app` serves every request
 * and assumes the least-privilege role sealed_app for its whole session, so grants and row-level security
 * apply to every runtime query.
 */
export interface DataSources {
  owner: DataSource;
  app: DataSource;
}

export function createDataSources(url: string, appPoolSize: number): DataSources {
  const common = { type: 'postgres' as const, url, logging: false, parseInt8: true, migrations, migrationsTableName: 'schema_migration' };
  return {
    owner: new DataSource({ ...common, poolSize: 3, extra: { application_name: 'sealed-channels-owner' } }),
    app: new DataSource({
      ...common,
      poolSize: appPoolSize,
      extra: { application_name: 'sealed-channels', options: `-c role=${APP_ROLE} -c idle_in_transaction_session_timeout=60000` },
    }),
  };
}

export async function initializeDataSources(sources: DataSources, runMigrations: boolean): Promise<void> {
  await sources.owner.initialize();
  if (runMigrations) await sources.owner.runMigrations({ transaction: 'each' });
  await sources.app.initialize();
}

export async function destroyDataSources(sources: DataSources): Promise<void> {
  await Promise.all([sources.app, sources.owner].filter((s) => s.isInitialized).map((s) => s.destroy()));
}
