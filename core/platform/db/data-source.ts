import { DataSource, type MigrationInterface } from 'typeorm';
import type { TConfig } from '../config/env.ts';

/** A migration class: each feature keeps its own beside it (core/<feature>/migrations/), core/features.ts lists them. */
export type TMigration = new () => MigrationInterface;

type TDbConfig = Pick<
  TConfig,
  | 'DATABASE_URL'
  | 'DATABASE_POOL_SIZE'
  | 'DATABASE_STATEMENT_TIMEOUT_MS'
  | 'DATABASE_CONNECT_TIMEOUT_MS'
  | 'SERVICE_NAME'
>;

/**
 * The TypeORM data source shared by the api, the worker and the migration CLI. Never synchronizes.
 * `migrations`: the schema this code expects (core/features.ts MIGRATIONS), for the roots that migrate
 * or check the schema.
 */
export function createDataSource(
  config: TDbConfig,
  applicationName = config.SERVICE_NAME,
  migrations: readonly TMigration[] = [],
): DataSource {
  return new DataSource({
    type: 'postgres',
    url: config.DATABASE_URL,
    // Repositories query in SQL and map rows themselves; the schema lives in the migrations alone.
    entities: [],
    migrations: [...migrations],
    synchronize: false,
    migrationsRun: false,
    installExtensions: false,
    logging: false,
    applicationName,
    extra: {
      max: config.DATABASE_POOL_SIZE,
      connectionTimeoutMillis: config.DATABASE_CONNECT_TIMEOUT_MS,
      statement_timeout: config.DATABASE_STATEMENT_TIMEOUT_MS,
      idle_in_transaction_session_timeout: 60_000,
      idleTimeoutMillis: 30_000,
    },
  });
}

/** Pool numbers for the metrics endpoint (pg.Pool lives behind TypeORM's driver). */
export function poolStats(dataSource: DataSource): { total: number; idle: number; waiting: number } {
  const pool = (
    dataSource.driver as unknown as {
      master?: { totalCount: number; idleCount: number; waitingCount: number };
    }
  ).master;
  return { total: pool?.totalCount ?? 0, idle: pool?.idleCount ?? 0, waiting: pool?.waitingCount ?? 0 };
}
