import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateRiskMetrics1732492800000 implements MigrationInterface {
  name = 'CreateRiskMetrics1732492800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Default-window risk metrics, precomputed after each sync. A row is served only while the data it
    // was computed from (last timestamps of the coin and the benchmark) is still the newest data.
    await queryRunner.query(`
      CREATE TABLE risk_metrics (
        cryptocurrency_id integer PRIMARY KEY REFERENCES cryptocurrencies (id) ON DELETE CASCADE,
        window_days integer NOT NULL,
        benchmark_symbol varchar(20) NOT NULL,
        window_end date NOT NULL,
        observations integer NOT NULL,
        metrics jsonb NOT NULL,
        risk_score double precision NOT NULL,
        risk_level text NOT NULL,
        data_last_timestamp timestamptz NOT NULL,
        benchmark_last_timestamp timestamptz,
        computed_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS risk_metrics');
  }
}
