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
  // Fresh prices and risk reports: evaluate the alerts that watch them.
  const alerts = await deps.queues.enqueue(
    'evaluate-alerts',
    payload.symbols ? { symbols: payload.symbols } : {},
  );
  await job.updateProgress(100);
  return {
    ...result,
    evaluate_alerts_job: alerts.job_id,
    duration_ms: Math.round(performance.now() - started),
  };
};
