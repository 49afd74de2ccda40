import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Durable jobs and the system scope.
 *
 * pg-boss keeps its queues in a schema of its own, `pgboss`, and connects as the NOLOGIN role sealed_jobs. That
 * role owns the schema and nothing else: no grant in `public`, so a job handler's bug or an injected statement on
 * pg-boss's connections cannot read PHI or touch the audit trail. pg-boss creates (and on upgrade migrates) every
 * object inside the schema itself; only the empty schema is made here, because creating a schema needs CREATE on
 * the database, which no runtime role should hold.
 *
 * Work that spans tenants runs on the app role, under row-level security, one tenant at a time: it learns which
 * tenants exist through system_tenant_ids, which reveals ids only (like tenant_id_for_slug).
 */
export class Jobs1764210000000 implements MigrationInterface {
  name = 'Jobs1764210000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      DO $$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sealed_jobs') THEN
          CREATE ROLE sealed_jobs NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
        END IF;
        IF NOT pg_has_role(current_user, 'sealed_jobs', 'MEMBER') THEN
          EXECUTE format('GRANT sealed_jobs TO %I', current_user);
        END IF;
      END $$;
    `);
    await db.query(`CREATE SCHEMA pgboss AUTHORIZATION sealed_jobs`);
    await db.query(`REVOKE ALL ON SCHEMA pgboss FROM PUBLIC`);

    // Keyset pages: a caller passes the last id it saw, so a large tenant list is never held in one answer.
    await db.query(`
      CREATE FUNCTION system_tenant_ids(p_after uuid, p_limit integer) RETURNS SETOF uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
        AS $$
          SELECT id FROM public.tenant
          WHERE p_after IS NULL OR id > p_after
          ORDER BY id
          LIMIT least(greatest(p_limit, 1), 10000)
        $$
    `);
    await db.query(`REVOKE ALL ON FUNCTION system_tenant_ids(uuid, integer) FROM PUBLIC`);
    await db.query(`GRANT EXECUTE ON FUNCTION system_tenant_ids(uuid, integer) TO sealed_app`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP FUNCTION system_tenant_ids(uuid, integer)`);
    // The role is cluster-wide and may serve other databases; it stays.
    await db.query(`DROP SCHEMA pgboss CASCADE`);
  }
}
