/** A migration's QueryRunner, or any client that runs SQL. */
export interface SqlRunner {
  query(sql: string): Promise<unknown>;
}

export interface TenantTableOptions {
  /** What the runtime role may do, e.g. 'SELECT, INSERT, UPDATE' or 'SELECT, INSERT, UPDATE (published_at)'. */
  grants: string;
  /** The column that names the row's tenant: tenant_id, or id for the tenant table itself. */
  tenantColumn?: string;
}

/**
 * A tenant-owned table, as every new migration declares it: the runtime role's grants, row-level security enabled and
 * forced (the owner is bound by it too, so a connection that forgets `role=sealed_app` still sees one tenant at most),
 * and the policy that limits sealed_app to the tenant of its transaction (app.tenant_id).
 *
 * Forced also means migrations and owner-side code see no rows of such a table unless they set app.tenant_id or a
 * policy names the owner (see 1764300000000-force-tenant-rls.ts). The catalog test
 * test/integration/persistence/row-level-security-catalog.test.ts refuses a table with a tenant_id column without all
 * three.
 */
export async function declareTenantTable(db: SqlRunner, table: string, { grants, tenantColumn = 'tenant_id' }: TenantTableOptions): Promise<void> {
  await db.query(`GRANT ${grants} ON ${table} TO sealed_app`);
  await db.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
  await db.query(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
  await db.query(`
    CREATE POLICY ${table}_tenant_isolation ON ${table} TO sealed_app
      USING (${tenantColumn} = app_current_tenant()) WITH CHECK (${tenantColumn} = app_current_tenant())
  `);
}
