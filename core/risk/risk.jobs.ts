import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineJob, KEEP, MINUTE, ZAsOf, ZSymbolList } from '../platform/jobs/define-job.ts';
import type { TRiskService } from './risk.service.ts';

/** The risk feature's job: precomputed default-window reports, so that the API's default reads are a lookup. */
export const RISK_JOBS = [
  defineJob({
    name: 'compute-risk',
    schema: z.strictObject({
      symbols: ZSymbolList(250).optional(),
      top: z.number().int().min(1).max(1000).optional(),
      as_of: ZAsOf,
    }),
    windowMs: 5 * MINUTE,
    jobId: (payload, window) =>
      `compute-risk-${payload.symbols ? createHash('sha1').update(payload.symbols.join(',')).digest('hex').slice(0, 12) : `top${payload.top ?? 'all'}`}-${window}`,
    concurrency: 1,
    options: KEEP,
    async handle(payload, run, { risk }: { risk: TRiskService }) {
      const started = performance.now();
      const result = await risk.precompute(
        { symbols: payload.symbols, top: payload.top },
        new Date(payload.as_of),
      );
      await run.progress(100);
      return { ...result, duration_ms: Math.round(performance.now() - started) };
    },
  }),
] as const;
