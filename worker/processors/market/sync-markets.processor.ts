import { syncMarkets } from '../../../core/market/index.ts';
import type { TProcessor } from '../processor.types.ts';

export const syncMarketsProcessor: TProcessor<'sync-markets'> = async (payload, job, deps) => {
  const result = await syncMarkets(deps, {
    limit: payload.limit,
    provider: payload.provider,
    as_of: payload.as_of,
  });
  deps.metrics.lastSuccessfulSync.set(Date.now() / 1000);
  // New prices make the precomputed risk reports of these coins stale: recompute them.
  const risk = await deps.queues.enqueue('compute-risk', { top: payload.limit, as_of: payload.as_of });
  await job.updateProgress(100);
  return { ...result, compute_risk_job: risk.job_id };
};
