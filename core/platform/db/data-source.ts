import { DataSource } from 'typeorm';
import type { TConfig } from '../config/env.ts';
import { CreateMarketData1732406400000 } from './migrations/1732406400000-create-market-data.ts';
import { CreateRiskMetrics1732492800000 } from './migrations/1732492800000-create-risk-metrics.ts';
import { CreateMarketTimeline1733011200000 } from './migrations/1733011200000-create-market-timeline.ts';
import { CreateIdentityAndAudit1733097600000 } from './migrations/1733097600000-create-identity-and-audit.ts';
import { CreatePortfolios1733184000000 } from './migrations/1733184000000-create-portfolios.ts';
import { CreatePortfolioLimits1733270400000 } from './migrations/1733270400000-create-portfolio-limits.ts';
import { CreateWebhooks1733356800000 } from './migrations/1733356800000-create-webhooks.ts';
import { CreateAlerts1733443200000 } from './migrations/1733443200000-create-alerts.ts';
import { ResetRiskMetrics1733529600000 } from './migrations/1733529600000-reset-risk-metrics.ts';
import { ApiKeyParents1733540000019 } from './migrations/1733540000019-api-key-parents.ts';

export const migrations = [
  CreateMarketData1732406400000,
  CreateRiskMetrics1732492800000,
  CreateMarketTimeline1733011200000,
  CreateIdentityAndAudit1733097600000,
  CreatePortfolios1733184000000,
  CreatePortfolioLimits1733270400000,
  CreateWebhooks1733356800000,
  CreateAlerts1733443200000,
  ResetRiskMetrics1733529600000,
  ApiKeyParents1733540000019,
];

type TDbConfig = Pick<
  TConfig,
  | 'DATABASE_URL'
  | 'DATABASE_POOL_SIZE'
  | 'DATABASE_STATEMENT_TIMEOUT_MS'
  | 'DATABASE_CONNECT_TIMEOUT_MS'
  | 'SERVICE_NAME'
>;

/** The TypeORM data source shared by the api, the worker and the migration CLI. Never synchronizes. */
export function createDataSource(config: TDbConfig, applicationName = config.SERVICE_NAME): DataSource {
  return new DataSource({
    type: 'postgres',
    url: config.DATABASE_URL,
    // Repositories query in SQL and map rows themselves; the schema lives in the migrations alone.
    entities: [],
    migrations,
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
