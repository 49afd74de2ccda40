import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Platform } from '../../../src/platform/platform';
import { provisionTenant } from '../../support/fixtures';
import { databaseUrl, testEnvironment } from '../../support/test-environment';
import { createTestPlatform } from '../../support/test-platform';

// In production the schema owner is not a superuser (RDS), so forced row-level security binds it. These run the
// migrations as such an owner and check that what the owner must do across tenants still works, and nothing more.
const suffix = randomUUID().slice(0, 8);
const OWNER = `sc_owner_${suffix}`;
const PASSWORD = `pw-${suffix}`;
const DATABASE = `sc_test_${testEnvironment().runId}_owner_${suffix}`;

let ownerUrl: string;
let platform: Platform;

async function asServerAdmin(sql: string): Promise<void> {
  const admin = new Client({ connectionString: testEnvironment().serverUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

async function asOwnerRole<T>(work: (owner: Client) => Promise<T>): Promise<T> {
  const owner = new Client({ connectionString: ownerUrl });
  await owner.connect();
  try {
    return await work(owner);
  } finally {
    await owner.end();
  }
}

beforeAll(async () => {
  await asServerAdmin(`CREATE ROLE ${OWNER} LOGIN CREATEROLE NOSUPERUSER NOBYPASSRLS PASSWORD '${PASSWORD}'`);
  await asServerAdmin(`CREATE DATABASE ${DATABASE} OWNER ${OWNER}`);
  const url = new URL(databaseUrl(testEnvironment().serverUrl, DATABASE));
  url.username = OWNER;
  url.password = PASSWORD;
  ownerUrl = url.toString();
  platform = await createTestPlatform({}, { DATABASE_URL: ownerUrl, MIGRATIONS_RUN: 'true' });
});
afterAll(async () => {
  await platform.close();
  await asServerAdmin(`DROP DATABASE ${DATABASE} WITH (FORCE)`);
  await asServerAdmin(`DROP ROLE ${OWNER}`);
});

describe('forced row-level security with an owner that is not a superuser', () => {
  it('binds the owner: without a tenant setting it sees no users, with one it sees that tenant only', async () => {
    const a = await provisionTenant(platform);
    await provisionTenant(platform);

    await asOwnerRole(async (owner) => {
      expect((await owner.query<{ n: number }>('SELECT count(*)::int AS n FROM app_user')).rows[0].n).toBe(0);
      await owner.query('BEGIN');
      await owner.query("SELECT set_config('app.tenant_id', $1, true)", [a.tenantId]);
      expect((await owner.query<{ tenant_id: string }>('SELECT DISTINCT tenant_id FROM app_user')).rows).toEqual([{ tenant_id: a.tenantId }]);
      await owner.query('ROLLBACK');
    });
  });

  it('still finds a tenant by slug (the SECURITY DEFINER lookup the login uses)', async () => {
    const tenant = await provisionTenant(platform);

    expect(await platform.tenantDirectory.idForSlug(tenant.slug)).toBe(tenant.tenantId);
  });

  it('still seals the audit trail across tenants (the owner reads every event and writes every checkpoint)', async () => {
    await provisionTenant(platform);
    await provisionTenant(platform);

    const sealed = await platform.auditSealer.sealPending();

    expect(sealed).toMatchObject({ sealed: true });
    expect(sealed.events).toBeGreaterThan(0);
    expect(sealed.checkpoints).toBeGreaterThanOrEqual(2);
  });
});
