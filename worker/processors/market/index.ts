import { backfillHistoryProcessor } from './backfill-history.processor.ts';
import { cleanupHistoryProcessor } from './cleanup-history.processor.ts';
import { syncMarketsProcessor } from './sync-markets.processor.ts';

/** Handlers of the market feature's jobs (core/market/market.jobs.ts). */
export const marketProcessors = {
  'sync-markets': syncMarketsProcessor,
  'backfill-history': backfillHistoryProcessor,
  'cleanup-history': cleanupHistoryProcessor,
};
