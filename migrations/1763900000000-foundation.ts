import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenants, users, per-tenant wrapped data keys and the append-only audit trail.
 * Runtime queries run as the NOLOGIN role sealed_app; row-level security on tenant_id is the backstop
 * behind the repository's own scoping, and audit tables are append-only for every role.
 */
export class Foundation1763900000000 implements MigrationInterface {
  name = 'Foundation1763900000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      DO $$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sealed_app') THEN
          CREATE ROLE sealed_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
        END IF;
        IF NOT pg_has_role(current_user, 'sealed_app', 'MEMBER') THEN
          EXECUTE format('GRANT sealed_app TO %I', current_user);
        END IF;
      END $$;
    `);
    await db.query(`GRANT USAGE ON SCHEMA public TO sealed_app`);

    await db.query(`
      CREATE FUNCTION app_current_tenant() RETURNS uuid LANGUAGE sql STABLE
        AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$
    `);

    await db.query(`
      CREATE TABLE tenant (
        id uuid PRIMARY KEY,
        slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
        settings jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )
    `);
    // Resolving a slug is how an unauthenticated caller names its tenant (login, CLI); it reveals the id only.
    await db.query(`
      CREATE FUNCTION tenant_id_for_slug(p_slug text) RETURNS uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
        AS $$ SELECT id FROM public.tenant WHERE slug = p_slug $$
    `);
    await db.query(`REVOKE ALL ON FUNCTION tenant_id_for_slug(text) FROM PUBLIC`);
    await db.query(`GRANT EXECUTE ON FUNCTION tenant_id_for_slug(text) TO sealed_app`);

    await db.query(`
      CREATE TABLE tenant_key (
        tenant_id uuid NOT NULL,
        purpose text NOT NULL CHECK (purpose IN ('data', 'index', 'audit')),
        version integer NOT NULL CHECK (version > 0),
        wrapped_key bytea NOT NULL,
        key_ref text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, purpose, version)
      )
    `);

    await db.query(`
      CREATE TABLE app_user (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenant (id),
        email_sealed bytea NOT NULL,
        email_bidx bytea NOT NULL,
        display_name_sealed bytea NOT NULL,
        role text NOT NULL CHECK (role IN ('member', 'tenant_admin', 'compliance_officer')),
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
        password_hash text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, email_bidx)
      )
    `);

    await db.query(`
      CREATE TABLE audit_event (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL,
        occurred_at timestamptz NOT NULL,
        actor_type text NOT NULL CHECK (actor_type IN ('user', 'system', 'cli', 'anonymous')),
        actor_id text CHECK (length(actor_id) <= 128),
        action text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$' AND length(action) <= 100),
        resource_type text CHECK (resource_type ~ '^[a-z][a-z0-9_]*$'),
        resource_id text CHECK (length(resource_id) <= 128),
        outcome text NOT NULL CHECK (outcome IN ('success', 'denied', 'failed')),
        request_id text CHECK (length(request_id) <= 128),
        ip text CHECK (length(ip) <= 64),
        user_agent text CHECK (length(user_agent) <= 512),
        details jsonb NOT NULL DEFAULT '{}'::jsonb,
        xact_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        row_mac bytea NOT NULL,
        mac_key_version integer NOT NULL
      )
    `);
    await db.query(`CREATE INDEX audit_event_tenant_xact ON audit_event (tenant_id, xact_id, id)`);
    await db.query(`CREATE INDEX audit_event_xact ON audit_event (xact_id)`);

    // One row per sealing pass: every audit row with xact_id below xact_upper is final and checkpointed.
    await db.query(`
      CREATE TABLE audit_seal_run (
        id bigserial PRIMARY KEY,
        xact_upper xid8 NOT NULL,
        sealed_at timestamptz NOT NULL DEFAULT now()
      )
    `);
    await db.query(`
      CREATE TABLE audit_checkpoint (
        tenant_id uuid NOT NULL,
        seq integer NOT NULL CHECK (seq > 0),
        xact_lower xid8 NOT NULL,
        xact_upper xid8 NOT NULL,
        event_ids uuid[] NOT NULL,
        prev_digest bytea,
        digest bytea NOT NULL,
        mac bytea NOT NULL,
        mac_key_version integer NOT NULL,
        sealed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, seq)
      )
    `);

    await db.query(`
      CREATE FUNCTION audit_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit tables are append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
          USING ERRCODE = 'insufficient_privilege';
      END $$
    `);
    for (const table of ['audit_event', 'audit_seal_run', 'audit_checkpoint']) {
      await db.query(`CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION audit_reject_change()`);
      await db.query(`CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change()`);
    }

    // Read audits from many requests and tenants are appended in one statement; each tenant's rows are
    // inserted under that tenant's setting so row-level security still checks every row. The JSON is parsed once.
    await db.query(`
      CREATE TYPE audit_event_input AS (
        id uuid, tenant_id uuid, occurred_at timestamptz, actor_type text, actor_id text, action text,
        resource_type text, resource_id text, outcome text, request_id text, ip text, user_agent text,
        details jsonb, row_mac text, mac_key_version integer
      )
    `);
    await db.query(`
      CREATE FUNCTION audit_append(p_events jsonb) RETURNS void LANGUAGE plpgsql SECURITY INVOKER AS $$
      DECLARE
        parsed audit_event_input[] := ARRAY(SELECT r FROM jsonb_populate_recordset(NULL::audit_event_input, p_events) r);
        batch_tenant uuid;
      BEGIN
        FOR batch_tenant IN SELECT DISTINCT e.tenant_id FROM unnest(parsed) e LOOP
          PERFORM set_config('app.tenant_id', batch_tenant::text, true);
          INSERT INTO audit_event (id, tenant_id, occurred_at, actor_type, actor_id, action, resource_type, resource_id,
                                   outcome, request_id, ip, user_agent, details, row_mac, mac_key_version)
          SELECT e.id, e.tenant_id, e.occurred_at, e.actor_type, e.actor_id, e.action, e.resource_type, e.resource_id,
                 e.outcome, e.request_id, e.ip, e.user_agent, COALESCE(e.details, '{}'::jsonb), decode(e.row_mac, 'base64'),
                 e.mac_key_version
          FROM unnest(parsed) e
          WHERE e.tenant_id = batch_tenant;
        END LOOP;
        PERFORM set_config('app.tenant_id', '', true);
      END $$
    `);
    await db.query(`REVOKE ALL ON FUNCTION audit_append(jsonb) FROM PUBLIC`);
    await db.query(`GRANT EXECUTE ON FUNCTION audit_append(jsonb) TO sealed_app`);

    await db.query(`GRANT SELECT, INSERT, UPDATE ON tenant TO sealed_app`);
    await db.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON app_user TO sealed_app`);
    await db.query(`GRANT SELECT, INSERT ON tenant_key TO sealed_app`);
    await db.query(`GRANT SELECT, INSERT ON audit_event TO sealed_app`);
    await db.query(`GRANT SELECT ON audit_checkpoint, audit_seal_run TO sealed_app`);

    const tenantColumns: Record<string, string> = {
      tenant: 'id', tenant_key: 'tenant_id', app_user: 'tenant_id', audit_event: 'tenant_id', audit_checkpoint: 'tenant_id',
    };
    for (const [table, column] of Object.entries(tenantColumns)) {
      await db.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await db.query(`
        CREATE POLICY ${table}_tenant_isolation ON ${table} TO sealed_app
          USING (${column} = app_current_tenant()) WITH CHECK (${column} = app_current_tenant())
      `);
    }
  }

  async down(): Promise<void> {
    throw new Error('The foundation migration is not reversible: audit data is append-only.');
  }
}
