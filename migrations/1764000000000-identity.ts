import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sessions, refresh tokens, TOTP secrets, the display-name search index and the platform's JWT signing keys.
 * Secrets are stored only as hashes (refresh tokens) or sealed envelopes (TOTP secrets, signing keys, session
 * IP and user agent); the search index holds keyed hashes of name prefixes, never text.
 */
export class Identity1764000000000 implements MigrationInterface {
  name = 'Identity1764000000000';

  async up(db: QueryRunner): Promise<void> {
    // Platform-owned (tenant_id is the nil UUID): the private key is sealed under the platform's data key.
    await db.query(`
      CREATE TABLE signing_key (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL CHECK (tenant_id = '00000000-0000-0000-0000-000000000000'),
        generation integer NOT NULL UNIQUE CHECK (generation > 0),
        algorithm text NOT NULL CHECK (algorithm = 'ES256'),
        public_jwk jsonb NOT NULL,
        private_key_sealed bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        retired_at timestamptz
      )
    `);

    // One row per login: the refresh-token family. An access token names it as "sid".
    await db.query(`
      CREATE TABLE auth_session (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenant (id),
        user_id uuid NOT NULL REFERENCES app_user (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz NOT NULL DEFAULT now(),
        idle_timeout_seconds integer NOT NULL CHECK (idle_timeout_seconds > 0),
        expires_at timestamptz NOT NULL,
        authentication_methods text[] NOT NULL,
        mfa_enrolment_pending boolean NOT NULL DEFAULT false,
        ip_sealed bytea,
        user_agent_sealed bytea,
        revoked_at timestamptz,
        revoked_reason text CHECK (revoked_reason IN (
          'logout', 'logout_all', 'session_revoked', 'password_changed', 'role_changed', 'user_disabled', 'refresh_token_reused'
        )),
        CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
      )
    `);
    await db.query(`CREATE INDEX auth_session_live_by_user ON auth_session (tenant_id, user_id) WHERE revoked_at IS NULL`);

    // Only the SHA-256 of each token is kept. A spent token stays to recognise its reuse.
    await db.query(`
      CREATE TABLE refresh_token (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenant (id),
        session_id uuid NOT NULL REFERENCES auth_session (id),
        token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
        created_at timestamptz NOT NULL DEFAULT now(),
        spent_at timestamptz
      )
    `);
    await db.query(`CREATE INDEX refresh_token_session ON refresh_token (session_id)`);

    // The id is the user's: one TOTP authenticator per user.
    await db.query(`
      CREATE TABLE user_totp (
        id uuid PRIMARY KEY REFERENCES app_user (id),
        tenant_id uuid NOT NULL REFERENCES tenant (id),
        secret_sealed bytea NOT NULL,
        confirmed_at timestamptz,
        last_used_step bigint,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )
    `);

    await db.query(`
      CREATE TABLE app_user_display_name_token (
        tenant_id uuid NOT NULL,
        row_id uuid NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
        token bytea NOT NULL CHECK (length(token) = 32),
        PRIMARY KEY (tenant_id, token, row_id)
      )
    `);
    await db.query(`CREATE INDEX app_user_display_name_token_row ON app_user_display_name_token (row_id)`);

    await db.query(`GRANT SELECT, INSERT ON signing_key TO sealed_app`);
    await db.query(`GRANT UPDATE (retired_at) ON signing_key TO sealed_app`);
    await db.query(`GRANT SELECT, INSERT, UPDATE ON auth_session, refresh_token TO sealed_app`);
    await db.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON user_totp TO sealed_app`);
    await db.query(`GRANT SELECT, INSERT, DELETE ON app_user_display_name_token TO sealed_app`);

    for (const table of ['signing_key', 'auth_session', 'refresh_token', 'user_totp', 'app_user_display_name_token']) {
      await db.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await db.query(`
        CREATE POLICY ${table}_tenant_isolation ON ${table} TO sealed_app
          USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant())
      `);
    }
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of ['app_user_display_name_token', 'user_totp', 'refresh_token', 'auth_session', 'signing_key']) {
      await db.query(`DROP TABLE ${table}`);
    }
  }
}
