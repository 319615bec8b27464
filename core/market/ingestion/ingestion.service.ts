import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { TConfig } from '../../platform/config/env.ts';
import type { TJobs } from '../../platform/jobs/index.ts';
import { readTimeline } from '../bundled/timeline.repository.ts';
import { createProviderChain, type TProviderChain } from '../provider-chain.ts';
import { createRedisCallBudget } from '../providers/call-budget.ts';
import { createRedisCooldowns } from '../providers/provider-cooldown.ts';
import { createProviderMetrics } from '../providers/provider-metrics.ts';
import { backfillHistory, type TBackfillInput } from './backfill-history.ts';
import { readLatestTicks } from '../ticks/ticker.ts';
import { cleanupHistory, thinTicks } from './cleanup-history.ts';
import { syncMarkets, type TSyncInput } from './sync-markets.ts';

declare module '../../platform/jobs/events.ts' {
  interface TEvents {
    /** Stored prices changed (a sync or a backfill committed): core/workflows.ts bumps the cache version. */
    'market.changed': Record<string, never>;
  }
}

export type TMarketIngestion = ReturnType<typeof createMarketIngestion>;

/**
 * What the market feature's jobs do (core/market/market.jobs.ts): syncs, backfills and retention over
 * the provider chain, which is built on first use (only the worker uses it). With `registry`, the
 * providers' metrics and the time of the last sync are exported.
 */
export function createMarketIngestion(deps: {
  config: TConfig;
  db: DataSource;
  /** The queue store (provider cooldowns shared by every worker). */
  redis: Redis;
  logger: Logger;
  jobs: Pick<TJobs, 'announce'>;
  registry?: Registry;
}) {
  const { config, db, logger, registry } = deps;
  let chain: TProviderChain | undefined;
  const providers = () =>
    (chain ??= createProviderChain({
      config,
      logger,
      ...(registry ? { metrics: createProviderMetrics(registry) } : {}),
      timeline: () => readTimeline(db),
      cooldowns: createRedisCooldowns(deps.redis, config.REDIS_KEY_PREFIX, (error) =>
        logger.warn({ err: error }, 'provider cooldowns: Redis unavailable, keeping them in this process'),
      ),
      // One calls-per-minute budget per provider over every worker: syncs, backfills and live ticks.
      budgets: (provider, perMinute) =>
        createRedisCallBudget({
          redis: deps.redis,
          keyPrefix: config.REDIS_KEY_PREFIX,
          provider,
          perMinute,
          onError: (error) =>
            logger.warn({ err: error }, 'provider call budget: Redis unavailable, counting in this process'),
        }),
    }));
  let lastSyncKnown = false;
  const lastSync = registry
    ? new Gauge({
        name: 'market_data_last_sync_timestamp_seconds',
        help: 'Unix time of the last successful market sync',
        registers: [registry],
        // Until this process has synced, the newest stored price point tells (read once).
        async collect() {
          if (lastSyncKnown) return;
          lastSyncKnown = true;
          const [latest] = await db
            .query(
              `SELECT extract(epoch FROM max("timestamp")) AS seconds FROM price_history WHERE kind = 'market'`,
            )
            .catch(() => [{}]);
          if (latest?.seconds) this.set(Number(latest.seconds));
        },
      })
    : undefined;
  const invalidateCache = () => deps.jobs.announce('market.changed', {});

  return {
    providers,

    async sync(input: TSyncInput) {
      const result = await syncMarkets(
        {
          db,
          providers: providers(),
          invalidateCache,
          latestTicks: () => readLatestTicks(deps.redis, config.REDIS_KEY_PREFIX),
        },
        input,
      );
      lastSyncKnown = true;
      lastSync?.set(Date.now() / 1000);
      return result;
    },

    backfill(input: TBackfillInput, onProgress?: (done: number, total: number) => Promise<void>) {
      return backfillHistory(
        { db, providers: providers(), logger, invalidateCache, ...(onProgress ? { onProgress } : {}) },
        input,
      );
    },

    /**
     * Price history past HISTORY_RETENTION_DAYS (or the job's own retention), then the live ticker's raw
     * points past TICK_HISTORY_RAW_DAYS thinned to one per hour.
     */
    async cleanup(input: { retention_days?: number; batch_size: number; as_of: string }) {
      const result = await cleanupHistory(db, {
        retention_days: input.retention_days ?? config.HISTORY_RETENTION_DAYS,
        batch_size: input.batch_size,
        as_of: input.as_of,
      });
      const ticks = await thinTicks(db, { raw_days: config.TICK_HISTORY_RAW_DAYS, as_of: input.as_of });
      // Deleted points are changed history too: answers (and memos) read from them retire.
      if (result.deleted || ticks.deleted) await invalidateCache();
      return { ...result, ticks_thinned: ticks };
    },
  };
}
