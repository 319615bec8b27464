import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateAlerts1733443200000 implements MigrationInterface {
  name = 'CreateAlerts1733443200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE alerts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('price_above', 'price_below', 'pct_change', 'risk_metric', 'limit_breach')),
        symbol text,
        portfolio_id uuid REFERENCES portfolios (id) ON DELETE CASCADE,
        metric text,
        direction text NOT NULL DEFAULT 'above' CHECK (direction IN ('above', 'below')),
        threshold numeric(38, 18),
        window_hours integer,
        cooldown_seconds integer NOT NULL DEFAULT 3600 CHECK (cooldown_seconds >= 0),
        enabled boolean NOT NULL DEFAULT true,
        state text NOT NULL DEFAULT 'armed' CHECK (state IN ('armed', 'triggered')),
        last_value text,
        last_evaluated_at timestamptz,
        last_fired_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((symbol IS NULL) <> (portfolio_id IS NULL))
      )`);
    await queryRunner.query(`CREATE INDEX ix_alerts_owner ON alerts (owner_id, created_at, id)`);
    await queryRunner.query(
      `CREATE INDEX ix_alerts_symbol ON alerts (symbol) WHERE enabled AND symbol IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX ix_alerts_portfolio ON alerts (portfolio_id) WHERE enabled AND portfolio_id IS NOT NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE alert_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        alert_id uuid NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        fired_at timestamptz NOT NULL DEFAULT now(),
        event jsonb NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX ix_alert_events_alert ON alert_events (alert_id, id DESC)`);
    await queryRunner.query(`CREATE INDEX ix_alert_events_owner ON alert_events (owner_id, id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS alert_events, alerts');
  }
}
