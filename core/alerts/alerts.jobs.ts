import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineJob, KEEP, ZAsOf, ZSymbolList } from '../platform/jobs/define-job.ts';
import type { TWebhooksService } from '../webhooks/index.ts';
import type { TAlertsService } from './alerts.service.ts';

/** The alerts feature's job: evaluates the alerts a sync or a portfolio change may have moved. */
export const ALERT_JOBS = [
  // Every trigger runs (evaluation is idempotent: an alert's state machine fires a crossing once).
  defineJob({
    name: 'evaluate-alerts',
    schema: z
      .strictObject({
        symbols: ZSymbolList(1000)
          .optional()
          .describe('Coins whose alerts to evaluate; without them and without portfolio_id, every alert'),
        portfolio_id: z.uuid().optional(),
        as_of: ZAsOf,
      })
      .refine((payload) => !(payload.symbols && payload.portfolio_id), {
        message: 'give symbols or portfolio_id, not both',
      }),
    windowMs: 1,
    jobId: (payload, window) =>
      `evaluate-alerts-${payload.portfolio_id ? `p-${payload.portfolio_id}` : payload.symbols ? createHash('sha1').update(payload.symbols.join(',')).digest('hex').slice(0, 12) : 'all'}-${window}`,
    concurrency: 2,
    options: KEEP,
    // Firings go out as webhooks.
    async handle(payload, run, deps: { alerts: TAlertsService; webhooks: TWebhooksService }) {
      const started = performance.now();
      // After every sync: deliveries whose scheduling a crash lost get scheduled (nothing is dropped).
      const resumed = await deps.webhooks.resumeStalled();
      const result = payload.portfolio_id
        ? await deps.alerts.evaluatePortfolio(payload.portfolio_id)
        : await deps.alerts.evaluateMarket(payload.symbols ?? null);
      await run.progress(100);
      return { ...result, resumed_deliveries: resumed, duration_ms: Math.round(performance.now() - started) };
    },
  }),
] as const;
