import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { TConfig } from '../core/platform/config/env.ts';
import { MIGRATIONS } from '../core/features.ts';
import { createDataSource, type TMigration } from '../core/platform/db/data-source.ts';
import { runMigrations } from '../core/platform/db/migrate.ts';

export type TTestDatabase = {
  db: DataSource;
  schema: string;
  /** A DATABASE_URL that selects this schema, for child processes. */
  url: string;
  truncate: () => Promise<void>;
  drop: () => Promise<void>;
};

/**
 * A private schema per test file, migrated from scratch with the real migrations, so test files can
 * run in parallel against one PostgreSQL without seeing each other's rows.
 */
export async function createTestDatabase(
  config: TConfig,
  migrations: readonly TMigration[] = MIGRATIONS,
): Promise<TTestDatabase> {
  const schema = `t_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = new DataSource({ type: 'postgres', url: config.DATABASE_URL });
  await admin.initialize();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.destroy();

  const url = withSearchPath(config.DATABASE_URL, schema);
  const db = createDataSource({ ...config, DATABASE_URL: url }, 'trading-backend-test', migrations);
  await db.initialize();
  await runMigrations(db);
  // Every table the features' migrations made (core/features.ts), so a new feature's tables are cleared too.
  const tables = (
    (await db.query(
      `SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename <> 'migrations' ORDER BY tablename`,
      [schema],
    )) as { tablename: string }[]
  ).map((row) => `"${row.tablename}"`);
  return {
    db,
    schema,
    url,
    truncate: async () => {
      await db.transaction(async (tx) => {
        // The audit log is append-only; only a transaction that says it is retention may clear it.
        await tx.query(`SET LOCAL trading.audit_retention = 'on'`);
        await tx.query(`TRUNCATE ${tables.join(', ')} RESTART IDENTITY CASCADE`);
      });
    },
    drop: async () => {
      if (db.isInitialized) {
        await db.query(`DROP SCHEMA ${schema} CASCADE`);
        await db.destroy();
      }
    },
  };
}

export function withSearchPath(databaseUrl: string, schema: string): string {
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}
