import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateIdentityAndAudit1733097600000 implements MigrationInterface {
  name = 'CreateIdentityAndAudit1733097600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
        display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
        role text NOT NULL CHECK (role IN ('admin', 'trader', 'analyst', 'service')),
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
        password_hash text NOT NULL,
        password_changed_at timestamptz NOT NULL DEFAULT now(),
        -- Millisecond precision: page cursors carry this time in ISO form, so the round trip is exact.
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        last_login_at timestamptz
      )`);
    // Emails are unique whatever their case; the address is kept as the user wrote it.
    await queryRunner.query('CREATE UNIQUE INDEX users_email_key ON users (lower(email))');
    await queryRunner.query('CREATE INDEX users_created_at ON users (created_at, id)');

    // A session is one login: its refresh tokens form one family, its access tokens carry its id.
    await queryRunner.query(`
      CREATE TABLE sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        revoke_reason text,
        ip text,
        user_agent text
      )`);
    await queryRunner.query('CREATE INDEX sessions_user_open ON sessions (user_id) WHERE revoked_at IS NULL');
    await queryRunner.query(`
      CREATE TABLE refresh_tokens (
        token_hash bytea PRIMARY KEY,
        session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      )`);
    await queryRunner.query('CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id)');

    await queryRunner.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        prefix text NOT NULL,
        key_hash bytea NOT NULL UNIQUE,
        scopes text[] NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        last_used_at timestamptz,
        last_used_ip text,
        revoked_at timestamptz,
        revoked_by uuid REFERENCES users (id) ON DELETE SET NULL
      )`);
    await queryRunner.query('CREATE INDEX api_keys_user ON api_keys (user_id, created_at)');

    // Security-relevant events, written in the same transaction as the change they record.
    await queryRunner.query(`
      CREATE TABLE audit_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at timestamptz(3) NOT NULL DEFAULT clock_timestamp(),
        actor_type text NOT NULL CHECK (actor_type IN ('anonymous', 'user', 'api_key', 'system')),
        actor_id text,
        actor_user_id uuid,
        ip text,
        request_id text,
        action text NOT NULL,
        target_type text,
        target_id text,
        outcome text NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
        details jsonb NOT NULL DEFAULT '{}'
      )`);
    await queryRunner.query('CREATE INDEX audit_events_at ON audit_events (at DESC, id DESC)');
    await queryRunner.query('CREATE INDEX audit_events_actor ON audit_events (actor_user_id, at DESC)');
    await queryRunner.query('CREATE INDEX audit_events_action ON audit_events (action, at DESC)');
    await queryRunner.query('CREATE INDEX audit_events_target ON audit_events (target_id, at DESC)');
    // Append-only: rows are never changed, and removed only by retention, which says so in its own
    // transaction (SET LOCAL trading.audit_retention = 'on').
    await queryRunner.query(`
      CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP <> 'UPDATE' AND current_setting('trading.audit_retention', true) = 'on' THEN
          RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NULL END;
        END IF;
        RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
      FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()`);
    await queryRunner.query(`
      CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
      FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS audit_events');
    await queryRunner.query('DROP FUNCTION IF EXISTS audit_events_append_only()');
    await queryRunner.query('DROP TABLE IF EXISTS api_keys, refresh_tokens, sessions, users');
  }
}
