import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reports (one row each, its content in report_chunks) and report schedules. A report made by a
 * schedule names its schedule and period; the unique index makes each period's report once, however
 * often the schedule runs.
 */
export class CreateReports1764806400000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE report_schedules (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('portfolio_statement', 'realized_gains')),
        format text NOT NULL CHECK (format IN ('csv', 'pdf')),
        portfolio_id uuid NOT NULL,
        cadence text NOT NULL CHECK (cadence IN ('monthly', 'quarterly', 'yearly')),
        last_period text,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX report_schedules_owner ON report_schedules (owner_id, created_at, id)`);
    await queryRunner.query(`
      CREATE TABLE reports (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('portfolio_statement', 'realized_gains', 'coin_risk', 'audit_export')),
        format text NOT NULL CHECK (format IN ('csv', 'pdf')),
        params jsonb NOT NULL,
        status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'ready', 'failed')),
        error text,
        size bigint,
        sha256 text,
        content_type text,
        filename text,
        schedule_id uuid REFERENCES report_schedules (id) ON DELETE SET NULL,
        period text,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        ready_at timestamptz,
        expires_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX reports_owner ON reports (owner_id, created_at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX reports_expires ON reports (expires_at)`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX reports_schedule_period ON reports (schedule_id, period) WHERE schedule_id IS NOT NULL`,
    );
    // Content in chunks of REPORT_CHUNK_BYTES (the last one shorter): written and read one chunk at a
    // time, so neither the worker nor the API holds a whole report. STORAGE EXTERNAL: no compression of
    // already compressed content (ZIP, PDF), and substring reads without detoasting the whole value.
    await queryRunner.query(`
      CREATE TABLE report_chunks (
        report_id uuid NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
        seq integer NOT NULL CHECK (seq >= 0),
        data bytea NOT NULL,
        PRIMARY KEY (report_id, seq)
      )`);
    await queryRunner.query(`ALTER TABLE report_chunks ALTER COLUMN data SET STORAGE EXTERNAL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE report_chunks`);
    await queryRunner.query(`DROP TABLE reports`);
    await queryRunner.query(`DROP TABLE report_schedules`);
  }
}
