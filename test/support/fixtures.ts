import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { UserDirectory } from '../../src/modules/identity';
import { ProvisionedTenant, TenantProvisioning } from '../../src/modules/onboarding';
import { TenantRegistry } from '../../src/modules/tenants';
import { cliContext, runInContext } from '../../src/platform/context/request-context';
import { Platform } from '../../src/platform/platform';
import { workerDatabaseUrl } from './test-environment';

export const TEST_PASSWORD = 'correct horse battery staple';

export function provisionTenant(platform: Platform, adminEmail = `admin-${randomUUID()}@clinic.test`): Promise<ProvisionedTenant> {
  const slug = `t-${randomUUID().slice(0, 18)}`;
  const kit = platform.persistence;
  const provisioning = new TenantProvisioning(kit.transactions, new TenantRegistry(kit), new UserDirectory(kit));
  return runInContext(cliContext('test.provision'), () => provisioning.provision({ slug, name: 'Test Clinic', adminEmail, adminPassword: TEST_PASSWORD }));
}

/** A raw connection to the worker database: as its owner (superuser here), or assuming the runtime role. */
export async function rawClient(role?: 'sealed_app', url = workerDatabaseUrl()): Promise<Client> {
  const client = new Client({ connectionString: url, options: role ? `-c role=${role}` : undefined });
  await client.connect();
  return client;
}

/**
 * Runs one piece of inspection as the database owner (bypassing row-level security), then disconnects; on the
 * worker's database unless a platform on another one is named.
 */
export async function asOwner<T>(inspect: (owner: Client) => Promise<T>, on?: Platform): Promise<T> {
  const owner = await rawClient(undefined, on?.config.DATABASE_URL ?? workerDatabaseUrl());
  try {
    return await inspect(owner);
  } finally {
    await owner.end();
  }
}
