import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreatePortfolios1733184000000 implements MigrationInterface {
  name = 'CreatePortfolios1733184000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE portfolios (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        base_currency text NOT NULL DEFAULT 'USD' CHECK (base_currency = 'USD'),
        cost_basis_method text NOT NULL DEFAULT 'fifo'
          CHECK (cost_basis_method IN ('fifo', 'lifo', 'hifo', 'average', 'specific')),
        fees_in_cost_basis boolean NOT NULL DEFAULT true,
        cash_tracking boolean NOT NULL DEFAULT false,
        allow_negative boolean NOT NULL DEFAULT false,
        -- Bumped by every write to the portfolio or its transactions: cached answers key on it.
        revision bigint NOT NULL DEFAULT 1,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await queryRunner.query('CREATE INDEX portfolios_owner ON portfolios (owner_id, created_at, id)');
    // Amounts are NUMERIC(38,18): 20 integer digits, 18 decimals (a satoshi is 8, a wei 18).
    await queryRunner.query(`
      CREATE TABLE portfolio_transactions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        portfolio_id uuid NOT NULL REFERENCES portfolios (id) ON DELETE CASCADE,
        -- Entry order: breaks ties between transactions at the same instant.
        sequence bigint GENERATED ALWAYS AS IDENTITY,
        type text NOT NULL CHECK (type IN ('buy', 'sell', 'transfer_in', 'transfer_out', 'deposit', 'withdrawal', 'fee', 'income')),
        symbol text NOT NULL CHECK (symbol ~ '^[A-Z0-9._-]{1,20}$'),
        quantity numeric(38, 18) NOT NULL CHECK (quantity > 0),
        price numeric(38, 18) CHECK (price >= 0),
        fee numeric(38, 18) NOT NULL DEFAULT 0 CHECK (fee >= 0),
        "timestamp" timestamptz(3) NOT NULL,
        notes text CHECK (length(notes) <= 1000),
        external_id text CHECK (length(external_id) BETWEEN 1 AND 200),
        lot_ids uuid[],
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      'CREATE INDEX portfolio_transactions_order ON portfolio_transactions (portfolio_id, "timestamp", sequence)',
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX portfolio_transactions_external ON portfolio_transactions (portfolio_id, external_id)
       WHERE external_id IS NOT NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE portfolio_targets (
        portfolio_id uuid NOT NULL REFERENCES portfolios (id) ON DELETE CASCADE,
        symbol text NOT NULL,
        weight numeric(20, 18) NOT NULL CHECK (weight >= 0 AND weight <= 1),
        PRIMARY KEY (portfolio_id, symbol)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS portfolio_targets, portfolio_transactions, portfolios');
  }
}
