import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineJob, KEEP, ZAsOf, ZSymbolList } from '../platform/jobs/define-job.ts';

/** The alerts feature's job (processor: worker/processors/alerts). */
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
  }),
] as const;
