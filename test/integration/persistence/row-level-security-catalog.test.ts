import { Client } from 'pg';
import { declareTenantTable } from '../../../migrations/tenant-table';
import { rawClient } from '../../support/fixtures';

interface TableSecurity {
  table: string;
  enabled: boolean;
  forced: boolean;
  /** Policies that apply to the runtime role sealed_app. */
  appPolicies: number;
}

/** Every ordinary or partitioned table in the public schema that carries a tenant: a tenant_id column, or the tenant table. */
async function tenantTables(db: Client): Promise<TableSecurity[]> {
  const { rows } = await db.query<TableSecurity>(`
    SELECT c.relname AS table, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
           (SELECT count(*)::int FROM pg_policy p
              WHERE p.polrelid = c.oid AND (p.polroles = '{0}' OR 'sealed_app'::regrole = ANY (p.polroles))) AS "appPolicies"
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
       AND (c.relname = 'tenant' OR EXISTS (
             SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND a.attnum > 0 AND NOT a.attisdropped))
     ORDER BY c.relname`);
  return rows;
}

function unprotected(tables: readonly TableSecurity[]): string[] {
  return tables.filter((t) => !t.enabled || !t.forced || t.appPolicies === 0).map((t) => t.table);
}

let owner: Client;
beforeAll(async () => {
  owner = await rawClient();
});
afterAll(async () => {
  await owner.end();
});

describe('row-level security in the catalog (the migrated database)', () => {
  it('finds the tenant tables (the query itself works)', async () => {
    const names = (await tenantTables(owner)).map((t) => t.table);

    expect(names).toEqual(expect.arrayContaining(['tenant', 'app_user', 'user_totp', 'signing_key', 'message', 'outbox_event', 'audit_event']));
    expect(names.length).toBeGreaterThanOrEqual(18);
  });

  it('has row-level security enabled and forced, and a policy for sealed_app, on every table with a tenant_id column', async () => {
    expect(unprotected(await tenantTables(owner))).toEqual([]);
  });

  describe('on probe tables (rolled back)', () => {
    beforeEach(async () => {
      await owner.query('BEGIN');
    });
    afterEach(async () => {
      await owner.query('ROLLBACK');
    });

    it('refuses a new table with a tenant_id column and no row-level security', async () => {
      await owner.query('CREATE TABLE probe_unprotected (id uuid PRIMARY KEY, tenant_id uuid NOT NULL)');

      expect(unprotected(await tenantTables(owner))).toEqual(['probe_unprotected']);
    });

    it('refuses one with row-level security enabled but not forced', async () => {
      await owner.query('CREATE TABLE probe_unforced (id uuid PRIMARY KEY, tenant_id uuid NOT NULL)');
      await owner.query('ALTER TABLE probe_unforced ENABLE ROW LEVEL SECURITY');
      await owner.query('CREATE POLICY probe_unforced_tenant_isolation ON probe_unforced TO sealed_app USING (tenant_id = app_current_tenant())');

      expect(unprotected(await tenantTables(owner))).toEqual(['probe_unforced']);
    });

    it('accepts a table declared with the migration helper, whose policy shows sealed_app one tenant', async () => {
      await owner.query('CREATE TABLE probe_declared (id uuid PRIMARY KEY, tenant_id uuid NOT NULL)');
      await declareTenantTable(owner, 'probe_declared', { grants: 'SELECT, INSERT' });
      const [tenantA, tenantB] = ['00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b'];
      await owner.query(`INSERT INTO probe_declared VALUES (gen_random_uuid(), '${tenantA}'), (gen_random_uuid(), '${tenantB}')`);

      expect(unprotected(await tenantTables(owner))).toEqual([]);
      await owner.query('SET LOCAL ROLE sealed_app');
      await owner.query(`SELECT set_config('app.tenant_id', '${tenantA}', true)`);
      expect((await owner.query<{ tenant_id: string }>('SELECT tenant_id FROM probe_declared')).rows).toEqual([{ tenant_id: tenantA }]);
    });
  });
});
