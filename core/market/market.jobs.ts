import { z } from 'zod';
import type { TAuditService } from '../audit/index.ts';
import { defineJob, KEEP, MINUTE, ZAsOf } from '../platform/jobs/define-job.ts';
import type { TMarketIngestion } from './ingestion/ingestion.service.ts';
import { PROVIDER_NAMES } from './providers/provider.types.ts';

type TDeps = { ingestion: TMarketIngestion };

/**
 * The market feature's jobs and their handlers: syncs, backfills and retention. What follows a sync
 * (risk, then alerts) and a change of stored prices (the cache version) is core/workflows.ts's.
 */
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
    concurrency: 1,
    options: KEEP,
    async handle(payload, run, { ingestion }: TDeps) {
      const result = await ingestion.sync({
        limit: payload.limit,
        provider: payload.provider,
        as_of: payload.as_of,
      });
      await run.progress(100);
      return result;
    },
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
    handle: (payload, run, { ingestion }: TDeps) =>
      ingestion.backfill(payload, (done, total) => run.progress(Math.round((done / total) * 100))),
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
    // The daily retention job: price history past HISTORY_RETENTION_DAYS, audit events past AUDIT_RETENTION_DAYS.
    async handle(payload, _run, { ingestion, audit }: TDeps & { audit: TAuditService }) {
      const history = await ingestion.cleanup(payload);
      return { ...history, audit: await audit.purge(new Date(payload.as_of), payload.batch_size) };
    },
  }),
] as const;
