import { MigrationInterface, QueryRunner } from 'typeorm';

/** Every table that carries a tenant (the tenant table by its id), as the landed migrations created them. */
const TENANT_TABLES = [
  'tenant', 'tenant_key', 'app_user', 'audit_event', 'audit_checkpoint',
  'signing_key', 'auth_session', 'refresh_token', 'user_totp', 'app_user_display_name_token',
  'conversation', 'conversation_member', 'message', 'message_version', 'message_reaction', 'attachment', 'idempotency_key',
  'outbox_event',
];

/**
 * Row-level security was enabled but not forced, so the table owner (the migration user, which also runs the audit
 * sealer and owns the SECURITY DEFINER lookups) bypassed it. Forced, the owner is bound too; what it must still do
 * across tenants is granted by name, no more: read tenants (tenant_id_for_slug and other id-only lookups), read audit
 * events and write checkpoints (the audit sealer). A superuser, as in development, bypasses row-level security anyway.
 */
export class ForceTenantRls1764300000000 implements MigrationInterface {
  name = 'ForceTenantRls1764300000000';

  async up(db: QueryRunner): Promise<void> {
    for (const table of TENANT_TABLES) {
      await db.query(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
    }
    await db.query(`
      DO $$ BEGIN
        EXECUTE format('CREATE POLICY tenant_owner_lookup ON tenant FOR SELECT TO %I USING (true)', current_user);
        EXECUTE format('CREATE POLICY audit_event_owner_sealer ON audit_event FOR SELECT TO %I USING (true)', current_user);
        EXECUTE format('CREATE POLICY audit_checkpoint_owner_sealer_read ON audit_checkpoint FOR SELECT TO %I USING (true)', current_user);
        EXECUTE format('CREATE POLICY audit_checkpoint_owner_sealer_write ON audit_checkpoint FOR INSERT TO %I WITH CHECK (true)', current_user);
      END $$;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    for (const policy of ['audit_checkpoint_owner_sealer_write ON audit_checkpoint', 'audit_checkpoint_owner_sealer_read ON audit_checkpoint',
      'audit_event_owner_sealer ON audit_event', 'tenant_owner_lookup ON tenant']) {
      await db.query(`DROP POLICY ${policy}`);
    }
    for (const table of TENANT_TABLES) {
      await db.query(`ALTER TABLE ${table} NO FORCE ROW LEVEL SECURITY`);
    }
  }
}
