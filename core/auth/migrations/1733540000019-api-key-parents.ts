import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The key that made a key (null when a session made it): a key made by a key expires no later than
 * its maker and is revoked with it, so `api_keys:manage` cannot mint credentials that outlive it.
 */
export class ApiKeyParents1733540000019 implements MigrationInterface {
  name = 'ApiKeyParents1733540000019';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE api_keys ADD COLUMN created_by_key_id uuid REFERENCES api_keys (id) ON DELETE CASCADE`,
    );
    await queryRunner.query(
      `CREATE INDEX api_keys_created_by ON api_keys (created_by_key_id) WHERE created_by_key_id IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE api_keys DROP COLUMN IF EXISTS created_by_key_id');
  }
}
