import { createRiskRepository, createRiskService } from '../../../core/risk/index.ts';
import type { TProcessor } from '../processor.types.ts';

/** Precomputes default-window risk reports, so that the API's default reads are a lookup. */
export const computeRiskProcessor: TProcessor<'compute-risk'> = async (payload, job, deps) => {
  const started = performance.now();
  const risk = createRiskService({ risk: createRiskRepository(deps.db) });
  const result = await risk.precompute(
    { symbols: payload.symbols, top: payload.top },
    new Date(payload.as_of),
  );
  await job.updateProgress(100);
  const summary = { ...result, duration_ms: Math.round(performance.now() - started) };
  // In a sync's flow evaluate-alerts is the next step already; otherwise queue it (fresh reports).
  if (job.parentKey) return summary;
  const alerts = await deps.queues.enqueue(
    'evaluate-alerts',
    payload.symbols ? { symbols: payload.symbols } : {},
  );
  return { ...summary, evaluate_alerts_job: alerts.job_id };
};
