import { feature } from '../platform/feature.ts';
import {
  createCryptocurrencyRepository,
  createMarketIngestion,
  createMarketService,
  createMarketSource,
  createTicker,
  MARKET_JOBS,
  MARKET_MIGRATIONS,
} from './index.ts';

/** The market feature as core/features.ts lists it: its schema, jobs, routes and how its services are built. */
export const marketFeature = feature({
  name: 'market',
  migrations: MARKET_MIGRATIONS,
  jobs: MARKET_JOBS,
  routes: ['api/routes/market/market.routes.ts'],
  services: ({ config, db, redis, logger, jobs, metrics }) => {
    const ingestion = createMarketIngestion({
      config,
      db,
      redis,
      logger,
      jobs,
      ...(metrics ? { registry: metrics } : {}),
    });
    return {
      market: createMarketService({ coins: createCryptocurrencyRepository(db) }),
      // Started by the worker only (worker/main.ts, with the syncs' schedules); the API reads what it
      // publishes. A live provider's ticks share the syncs' provider chain (budgets, cooldowns, fallback).
      ticker: createTicker({
        db,
        redis,
        announce: jobs.announce,
        keyPrefix: config.REDIS_KEY_PREFIX,
        intervalSeconds: config.TICK_INTERVAL_SECONDS,
        historyResolutionSeconds: config.TICK_HISTORY_RESOLUTION_SECONDS,
        replay: config.MARKET_TICK_REPLAY,
        logger,
        ...(config.MARKET_DATA_PROVIDER === 'replay'
          ? {}
          : { live: { providers: ingestion.providers, budgets: config } }),
      }),
      marketSource: createMarketSource({ db, provider: config.MARKET_DATA_PROVIDER }),
      ingestion,
    };
  },
});
