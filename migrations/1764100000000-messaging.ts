import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Conversations, members and read pointers, sequenced messages with sealed edit history, reactions, the message
 * search index, attachments, idempotency keys and the transactional outbox.
 * Bodies, titles, earlier versions and file names are sealed envelopes; the search tokens are keyed hashes of
 * word prefixes; idempotency keys and request fingerprints are keyed hashes; outbox payloads carry ids and seq.
 */
export class Messaging1764100000000 implements MigrationInterface {
  name = 'Messaging1764100000000';

  async up(db: QueryRunner): Promise<void> {
    // last_seq is the conversation's counter: a send increments it under this row's lock, so seq is gap-free
    // without any lock wider than the conversation. direct_pair ("<lower user id>:<higher user id>") makes a
    // direct conversation unique per pair of users.
    await db.query(`
      CREATE TABLE conversation (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenant (id),
        type text NOT NULL CHECK (type IN ('direct', 'group')),
        title_sealed bytea,
        direct_pair text CHECK ((type = 'direct') = (direct_pair IS NOT NULL)),
        created_by uuid NOT NULL REFERENCES app_user (id),
        last_seq bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
        last_message_at timestamptz,
        last_activity_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, direct_pair)
      )
    `);

    await db.query(`
      CREATE TABLE conversation_member (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenant (id),
        conversation_id uuid NOT NULL REFERENCES conversation (id),
        user_id uuid NOT NULL REFERENCES app_user (id),
        role text NOT NULL CHECK (role IN ('owner', 'member')),
        read_seq bigint NOT NULL DEFAULT 0 CHECK (read_seq >= 0),
        joined_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (conversation_id, user_id)
      )
    `);
    await db.query(`CREATE INDEX conversation_member_by_user ON conversation_member (tenant_id, user_id)`);

    // A deleted message keeps its row (the tombstone) and its seq; only the body goes.
    await db.query(`
      CREATE TABLE message (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenant (id),
        conversation_id uuid NOT NULL REFERENCES conversation (id),
        seq bigint NOT NULL CHECK (seq > 0),
        sender_id uuid NOT NULL REFERENCES app_user (id),
        body_sealed bytea,
        body_tokens bytea[],
        reply_to_seq bigint CHECK (reply_to_seq > 0 AND reply_to_seq < seq),
        created_at timestamptz NOT NULL DEFAULT now(),
        edited_at timestamptz,
        deleted_at timestamptz,
        CHECK ((deleted_at IS NULL) = (body_sealed IS NOT NULL)),
        UNIQUE (conversation_id, seq)
      )
    `);

    // Every earlier version of an edited message, sealed under its own row id; deleting the message deletes them.
    await db.query(`
      CREATE TABLE message_version (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenant (id),
        message_id uuid NOT NULL REFERENCES message (id),
        body_sealed bytea NOT NULL,
        replaced_at timestamptz NOT NULL DEFAULT now()
      )
    `);
    await db.query(`CREATE INDEX message_version_by_message ON message_version (message_id, replaced_at)`);

    await db.query(`
      CREATE TABLE message_reaction (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenant (id),
        message_id uuid NOT NULL REFERENCES message (id),
        user_id uuid NOT NULL REFERENCES app_user (id),
        emoji text NOT NULL CHECK (length(emoji) BETWEEN 1 AND 64),
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (message_id, user_id, emoji)
      )
    `);

    // The body's search tokens (keyed hashes of word prefixes) in the row itself: a send writes one row, and a search
    // asks the GIN index for rows holding every term, then keeps those of the caller's conversations.
    await db.query(`CREATE INDEX message_body_tokens ON message USING gin (body_tokens)`);

    // The object key is "<tenant id>/attachments/<attachment id>": no PHI. The file name is sealed.
    await db.query(`
      CREATE TABLE attachment (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenant (id),
        conversation_id uuid NOT NULL REFERENCES conversation (id),
        uploader_id uuid NOT NULL REFERENCES app_user (id),
        file_name_sealed bytea NOT NULL,
        content_type text NOT NULL CHECK (length(content_type) <= 255),
        size bigint NOT NULL CHECK (size > 0),
        object_key text NOT NULL UNIQUE,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ready', 'rejected', 'deleted')),
        detected_type text,
        message_id uuid REFERENCES message (id),
        upload_expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )
    `);
    await db.query(`CREATE INDEX attachment_by_conversation ON attachment (tenant_id, conversation_id)`);
    await db.query(`CREATE INDEX attachment_by_message ON attachment (message_id) WHERE message_id IS NOT NULL`);

    // Kept 24 h per user: the key and the request's fingerprint are keyed hashes, the answer is the message id.
    await db.query(`
      CREATE TABLE idempotency_key (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenant (id),
        user_id uuid NOT NULL REFERENCES app_user (id),
        key_hash bytea NOT NULL CHECK (length(key_hash) = 32),
        request_hash bytea NOT NULL CHECK (length(request_hash) = 32),
        resource_id uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, user_id, key_hash)
      )
    `);

    // Written in the same transaction as the change it announces. The id orders events of one conversation:
    // its send holds the conversation's row lock while drawing it.
    await db.query(`
      CREATE TABLE outbox_event (
        id bigserial PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenant (id),
        channel text NOT NULL CHECK (length(channel) <= 255),
        event_type text NOT NULL CHECK (event_type ~ '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$'),
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
      )
    `);
    await db.query(`CREATE INDEX outbox_event_unpublished ON outbox_event (id) WHERE published_at IS NULL`);

    await db.query(`GRANT SELECT, INSERT, UPDATE ON conversation, message, attachment TO sealed_app`);
    await db.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON conversation_member, message_reaction, idempotency_key TO sealed_app`);
    await db.query(`GRANT SELECT, INSERT, DELETE ON message_version TO sealed_app`);
    await db.query(`GRANT SELECT, INSERT, UPDATE (published_at) ON outbox_event TO sealed_app`);
    await db.query(`GRANT USAGE ON SEQUENCE outbox_event_id_seq TO sealed_app`);

    for (const table of [
      'conversation', 'conversation_member', 'message', 'message_version', 'message_reaction', 'attachment', 'idempotency_key',
      'outbox_event',
    ]) {
      await db.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await db.query(`
        CREATE POLICY ${table}_tenant_isolation ON ${table} TO sealed_app
          USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant())
      `);
    }
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of [
      'outbox_event', 'idempotency_key', 'attachment', 'message_reaction', 'message_version', 'message',
      'conversation_member', 'conversation',
    ]) {
      await db.query(`DROP TABLE ${table}`);
    }
  }
}
