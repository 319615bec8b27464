import { syncMarkets } from '../../../core/market/index.ts';
import type { TProcessor } from '../processor.types.ts';

export const syncMarketsProcessor: TProcessor<'sync-markets'> = async (payload, job, deps) => {
  const result = await syncMarkets(deps, {
    limit: payload.limit,
    provider: payload.provider,
    as_of: payload.as_of,
  });
  deps.metrics.lastSuccessfulSync.set(Date.now() / 1000);
  await job.updateProgress(100);
  // Enqueued syncs run as a flow whose next step is compute-risk; a scheduler-made one (no parent)
  // queues that step itself, since new prices make the coins' precomputed risk reports stale.
  if (job.parentKey) return result;
  const risk = await deps.queues.enqueue('compute-risk', { top: payload.limit, as_of: payload.as_of });
  return { ...result, compute_risk_job: risk.job_id };
};
