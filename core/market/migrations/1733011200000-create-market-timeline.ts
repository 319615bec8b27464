import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateMarketTimeline1733011200000 implements MigrationInterface {
  name = 'CreateMarketTimeline1733011200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // The offline market's one timeline: how far the bundled recording is shifted onto the clock.
    // One row at most (the boolean key), written when the bundled data is first seeded.
    await queryRunner.query(`
      CREATE TABLE market_timeline (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        shift_days integer NOT NULL,
        recorded_first date NOT NULL,
        recorded_last date NOT NULL,
        anchored_at timestamptz NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS market_timeline');
  }
}
