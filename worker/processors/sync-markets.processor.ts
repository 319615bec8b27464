import { syncMarkets } from '../../core/ingestion/sync-markets.ts';
import type { TProcessor } from './processor.types.ts';

export const syncMarketsProcessor: TProcessor<'sync-markets'> = async (payload, job, deps) => {
  const result = await syncMarkets(deps, {
    limit: payload.limit,
    provider: payload.provider,
    as_of: payload.as_of,
  });
  deps.metrics.lastSuccessfulSync.set(Date.now() / 1000);
  await job.updateProgress(100);
  return result;
};
