import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreatePortfolioLimits1733270400000 implements MigrationInterface {
  name = 'CreatePortfolioLimits1733270400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE portfolio_limits (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        portfolio_id uuid NOT NULL REFERENCES portfolios (id) ON DELETE CASCADE,
        position smallint NOT NULL,
        type text NOT NULL CHECK (type IN ('max_position_weight', 'max_position_value', 'max_var_95',
                                            'max_drawdown', 'max_hhi', 'min_cash_weight')),
        symbol text,
        value numeric(38, 18) NOT NULL CHECK (value >= 0),
        hard boolean NOT NULL,
        UNIQUE (portfolio_id, position)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS portfolio_limits');
  }
}
