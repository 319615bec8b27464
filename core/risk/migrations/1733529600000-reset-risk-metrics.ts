import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ResetRiskMetrics1733529600000 implements MigrationInterface {
  name = 'ResetRiskMetrics1733529600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // A risk window now counts daily returns (365 returns from 366 closes), not closes: the stored default
    // reports were computed over one close fewer and would be served while their data is current. The
    // compute-risk job writes them again after the next sync; until then reports are computed on demand.
    await queryRunner.query('DELETE FROM risk_metrics');
  }

  async down(): Promise<void> {
    // Nothing to restore: the rows are derived data that the job recomputes.
  }
}
