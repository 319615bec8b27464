import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tick points in price_history (issue #24), told apart from the points daily figures are made of.
 * `kind`: 'market' for the points of syncs, backfills and the seed (every existing row: the default is
 * a constant, so adding the column rewrites nothing); 'tick' for the live ticker's raw points
 * (TICK_HISTORY_RESOLUTION_SECONDS apart); 'tick_hourly' for the one per hour the cleanup job keeps of
 * them after TICK_HISTORY_RAW_DAYS. Daily closes (history interval=daily, risk, portfolios) read
 * kind = 'market' only, through a partial index of exactly those rows, so they scan what they scanned
 * before ticks existed. The thinning finds raw ticks through a partial index of them alone.
 */
export class PriceHistoryKind1764892800000 implements MigrationInterface {
  name = 'PriceHistoryKind1764892800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE price_history ADD COLUMN kind text NOT NULL DEFAULT 'market'
         CONSTRAINT ck_price_history_kind CHECK (kind IN ('market', 'tick', 'tick_hourly'))`,
    );
    await queryRunner.query(
      `CREATE INDEX ix_price_history_market ON price_history (cryptocurrency_id, "timestamp") WHERE kind = 'market'`,
    );
    await queryRunner.query(
      `CREATE INDEX ix_price_history_raw_ticks ON price_history ("timestamp") WHERE kind = 'tick'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM price_history WHERE kind <> 'market'`);
    await queryRunner.query(`DROP INDEX IF EXISTS ix_price_history_raw_ticks`);
    await queryRunner.query(`DROP INDEX IF EXISTS ix_price_history_market`);
    await queryRunner.query(`ALTER TABLE price_history DROP COLUMN kind`);
  }
}
