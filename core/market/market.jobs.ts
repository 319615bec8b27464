import { defineJob, KEEP, MINUTE, ZAsOf } from '../platform/jobs/define-job.ts';
import { z } from 'zod';
import { PROVIDER_NAMES } from './providers/provider.types.ts';

/** The market feature's jobs: syncs, backfills and retention (their processors: worker/processors/market). */
export const MARKET_JOBS = [
  defineJob({
    name: 'sync-markets',
    schema: z.strictObject({
      limit: z.number().int().min(1).max(250).default(50),
      provider: z.enum(PROVIDER_NAMES).optional(),
      as_of: ZAsOf,
    }),
    windowMs: 5 * MINUTE,
    jobId: (payload, window) => `sync-markets-${payload.provider ?? 'default'}-${payload.limit}-${window}`,
    // New prices: recompute the coins' risk reports, then evaluate the alerts watching them.
    then: (payload) => [
      { name: 'compute-risk', data: { top: payload.limit } },
      { name: 'evaluate-alerts', data: {} },
    ],
    concurrency: 1,
    options: KEEP,
  }),
  defineJob({
    name: 'backfill-history',
    schema: z
      .strictObject({
        symbol: z
          .string()
          .regex(/^[A-Za-z0-9._-]{1,20}$/)
          .transform((symbol) => symbol.toUpperCase())
          .optional(),
        top: z.number().int().min(1).max(250).optional(),
        days: z.number().int().min(1).max(3650).default(365),
        provider: z.enum(PROVIDER_NAMES).optional(),
        as_of: ZAsOf,
      })
      .refine((payload) => !(payload.symbol && payload.top), { message: 'give symbol or top, not both' }),
    windowMs: 60 * MINUTE,
    jobId: (payload, window) =>
      `backfill-history-${payload.symbol ?? `top${payload.top ?? 50}`}-${payload.days}-${payload.provider ?? 'default'}-${window}`,
    concurrency: 2,
    options: KEEP,
  }),
  defineJob({
    name: 'cleanup-history',
    schema: z.strictObject({
      retention_days: z.number().int().min(1).max(36_500).optional(),
      batch_size: z.number().int().min(100).max(100_000).default(10_000),
      as_of: ZAsOf,
    }),
    windowMs: 60 * MINUTE,
    jobId: (_payload, window) => `cleanup-history-${window}`,
    concurrency: 1,
    options: KEEP,
  }),
] as const;
