import { createHash } from 'node:crypto';
import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import { PROVIDER_NAMES } from '../market/index.ts';

/** Every job the platform runs. Each name is also its queue, so each has its own concurrency. */
export const JobName = {
  SyncMarkets: 'sync-markets',
  BackfillHistory: 'backfill-history',
  CleanupHistory: 'cleanup-history',
  ComputeRisk: 'compute-risk',
  EvaluateAlerts: 'evaluate-alerts',
  DeliverWebhook: 'deliver-webhook',
} as const;
export type TJobName = (typeof JobName)[keyof typeof JobName];
export const JOB_NAMES = Object.values(JobName);

const ZAsOf = z.iso.datetime().optional().describe('Trigger window start; set by enqueue');

export const ZSyncMarketsPayload = z.strictObject({
  limit: z.number().int().min(1).max(250).default(50),
  provider: z.enum(PROVIDER_NAMES).optional(),
  as_of: ZAsOf,
});
export const ZBackfillHistoryPayload = z
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
  .refine((payload) => !(payload.symbol && payload.top), { message: 'give symbol or top, not both' });
export const ZCleanupHistoryPayload = z.strictObject({
  retention_days: z.number().int().min(1).max(36_500).optional(),
  batch_size: z.number().int().min(100).max(100_000).default(10_000),
  as_of: ZAsOf,
});

export const ZComputeRiskPayload = z.strictObject({
  symbols: z
    .array(
      z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,20}$/)
        .transform((symbol) => symbol.toUpperCase()),
    )
    .min(1)
    .max(250)
    .optional(),
  top: z.number().int().min(1).max(1000).optional(),
  as_of: ZAsOf,
});

export const ZDeliverWebhookPayload = z.strictObject({
  delivery_id: z.string().regex(/^msg_[0-9a-f]{32}$/),
  step: z
    .string()
    .regex(/^\d{1,6}-\d{1,3}$/)
    .describe('<round>-<attempt>: one job per attempt'),
  as_of: ZAsOf,
});

export const ZEvaluateAlertsPayload = z
  .strictObject({
    symbols: z
      .array(
        z
          .string()
          .regex(/^[A-Za-z0-9._-]{1,20}$/)
          .transform((symbol) => symbol.toUpperCase()),
      )
      .min(1)
      .max(1000)
      .optional()
      .describe('Coins whose alerts to evaluate; without them and without portfolio_id, every alert'),
    portfolio_id: z.uuid().optional(),
    as_of: ZAsOf,
  })
  .refine((payload) => !(payload.symbols && payload.portfolio_id), {
    message: 'give symbols or portfolio_id, not both',
  });

export type TJobPayloads = {
  'sync-markets': z.output<typeof ZSyncMarketsPayload>;
  'backfill-history': z.output<typeof ZBackfillHistoryPayload>;
  'cleanup-history': z.output<typeof ZCleanupHistoryPayload>;
  'compute-risk': z.output<typeof ZComputeRiskPayload>;
  'evaluate-alerts': z.output<typeof ZEvaluateAlertsPayload>;
  'deliver-webhook': z.output<typeof ZDeliverWebhookPayload>;
};

const MINUTE = 60_000;

/** A job that runs after another, as the parent of that job in a BullMQ flow. */
export type TFlowStep = { name: TJobName; data: Record<string, unknown> };

type TDefinition<N extends TJobName> = {
  schema: z.ZodType<TJobPayloads[N], unknown>;
  /**
   * The jobs that follow this one when it is enqueued, in order: one BullMQ flow whose root is the last
   * step, so each step starts when the one before has completed and a failure fails the rest.
   */
  then?: (payload: TJobPayloads[N]) => TFlowStep[];
  /** Triggers inside one window share a job id, so BullMQ runs them once. */
  windowMs: number;
  jobId: (payload: TJobPayloads[N], windowStart: number) => string;
  concurrency: number;
  options: JobsOptions;
};

// Completed jobs stay a day and failed ones a week, so operators can inspect them (and their errors).
const KEEP: JobsOptions = {
  attempts: 3,
  // Exponential from 5 s, and never before a rate-limiting provider's cooldown ends (worker/retry-delay.ts).
  backoff: { type: 'cooldown-aware', delay: 5_000 },
  removeOnComplete: { age: 24 * 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
};

export const JOB_DEFINITIONS: { [N in TJobName]: TDefinition<N> } = {
  'sync-markets': {
    schema: ZSyncMarketsPayload,
    windowMs: 5 * MINUTE,
    jobId: (payload, window) => `sync-markets-${payload.provider ?? 'default'}-${payload.limit}-${window}`,
    // New prices: recompute the coins' risk reports, then evaluate the alerts watching them.
    then: (payload) => [
      { name: 'compute-risk', data: { top: payload.limit } },
      { name: 'evaluate-alerts', data: {} },
    ],
    concurrency: 1,
    options: KEEP,
  },
  'backfill-history': {
    schema: ZBackfillHistoryPayload,
    windowMs: 60 * MINUTE,
    jobId: (payload, window) =>
      `backfill-history-${payload.symbol ?? `top${payload.top ?? 50}`}-${payload.days}-${payload.provider ?? 'default'}-${window}`,
    concurrency: 2,
    options: KEEP,
  },
  'cleanup-history': {
    schema: ZCleanupHistoryPayload,
    windowMs: 60 * MINUTE,
    jobId: (_payload, window) => `cleanup-history-${window}`,
    concurrency: 1,
    options: KEEP,
  },
  'compute-risk': {
    schema: ZComputeRiskPayload,
    windowMs: 5 * MINUTE,
    jobId: (payload, window) =>
      `compute-risk-${payload.symbols ? createHash('sha1').update(payload.symbols.join(',')).digest('hex').slice(0, 12) : `top${payload.top ?? 'all'}`}-${window}`,
    concurrency: 1,
    options: KEEP,
  },
  // Every trigger runs (evaluation is idempotent: an alert's state machine fires a crossing once).
  'evaluate-alerts': {
    schema: ZEvaluateAlertsPayload,
    windowMs: 1,
    jobId: (payload, window) =>
      `evaluate-alerts-${payload.portfolio_id ? `p-${payload.portfolio_id}` : payload.symbols ? createHash('sha1').update(payload.symbols.join(',')).digest('hex').slice(0, 12) : 'all'}-${window}`,
    concurrency: 2,
    options: KEEP,
  },
  // One job per attempt; the webhooks service schedules the next step of its own ladder. BullMQ's
  // attempts here only cover a processor that could not run at all (the database away, say).
  'deliver-webhook': {
    schema: ZDeliverWebhookPayload,
    windowMs: 1,
    jobId: (payload) => `deliver-webhook-${payload.delivery_id}-${payload.step}`,
    concurrency: 16,
    options: {
      attempts: 5,
      backoff: { type: 'cooldown-aware', delay: 5_000 },
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
    },
  },
};

export const windowStart = (time: number, windowMs: number) => time - (time % windowMs);

/** Ids of scheduler-made jobs: `repeat:<scheduler id>:<run time in ms>` (BullMQ job schedulers). */
const SCHEDULED_JOB_ID = /^repeat:[a-z0-9-]{1,64}:\d{1,16}$/;
const ENQUEUED_JOB_ID = new RegExp(`^(?:${JOB_NAMES.join('|')})-[A-Za-z0-9._-]{1,160}$`);

/**
 * True for ids of the shapes this platform issues (enqueue's deterministic ids, job schedulers' ids).
 * Anything else is not looked up at all: Redis also holds a queue's own keys (`meta`, `events`, …)
 * under the same prefix, and reading one of those as a job is an error, not "no such job".
 */
export const isIssuedJobId = (id: string): boolean => ENQUEUED_JOB_ID.test(id) || SCHEDULED_JOB_ID.test(id);

/** The job name a job id belongs to (job ids start with it), when it can be told. */
export function jobNameOf(jobId: string): TJobName | undefined {
  return JOB_NAMES.find((name) => jobId.startsWith(`${name}-`));
}

/** Every state a BullMQ job can be in, as the API and the queue-depth metric name them. */
export const JOB_STATES = [
  'waiting',
  'prioritized',
  'active',
  'delayed',
  'completed',
  'failed',
  'paused',
  'waiting-children',
] as const;
