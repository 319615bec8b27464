import type { TProcessor } from '../processor.types.ts';

/** Evaluates the alerts a sync or a portfolio change may have moved; firings go out as webhooks. */
export const evaluateAlertsProcessor: TProcessor<'evaluate-alerts'> = async (payload, job, deps) => {
  const started = performance.now();
  // After every sync: deliveries whose scheduling a crash lost get scheduled (nothing is dropped).
  const resumed = await deps.webhooks.resumeStalled();
  const result = payload.portfolio_id
    ? await deps.alerts.evaluatePortfolio(payload.portfolio_id)
    : await deps.alerts.evaluateMarket(payload.symbols ?? null);
  await job.updateProgress(100);
  return { ...result, resumed_deliveries: resumed, duration_ms: Math.round(performance.now() - started) };
};
