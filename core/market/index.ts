// The market feature's public module: what the API, the worker, the other features and the tests use.
// Everything else under core/market/ is internal (the lint rule feature-boundaries enforces it).
export * from './coin.ts';
export * from './market.types.ts';
export * from './market.service.ts';
export * from './cryptocurrency.repository.ts';
export * from './market.writer.ts';
export * from './market-cache.ts';
export * from './prices.repository.ts';
export * from './ingestion/sync-markets.ts';
export * from './ingestion/backfill-history.ts';
export * from './ingestion/cleanup-history.ts';
export * from './providers/provider.types.ts';
export * from './providers/provider-error.ts';
export * from './provider-chain.ts';
export * from './providers/provider-cooldown.ts';
export * from './providers/provider-metrics.ts';
export * from './bundled/bundled.ts';
export * from './bundled/seed.ts';
export * from './bundled/timeline.ts';
export * from './bundled/timeline.repository.ts';
export * from './bundled/market-source.ts';
export * from './market.jobs.ts';
export * from './ticks/ticks.ts';
export * from './ticks/ticker.ts';
export * from './ticks/live-cadence.ts';

import { CreateMarketData1732406400000 } from './migrations/1732406400000-create-market-data.ts';
import { CreateMarketTimeline1733011200000 } from './migrations/1733011200000-create-market-timeline.ts';
import { PriceHistoryKind1764892800000 } from './migrations/1764892800000-price-history-kind.ts';

/** The feature's schema, oldest first (core/features.ts runs every feature's). */
export const MARKET_MIGRATIONS = [
  CreateMarketData1732406400000,
  CreateMarketTimeline1733011200000,
  PriceHistoryKind1764892800000,
];
export * from './ingestion/ingestion.service.ts';
