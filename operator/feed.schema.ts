import { z } from 'zod';

/**
 * The MarketDataFeed resource (trading-backend.io/v1alpha1): one schedule of syncs for the top N coins of
 * a provider, with optional backfill and retention. The CRD's OpenAPI schema is generated from these
 * schemas (scripts/generate-crd.ts), so the API server validates exactly what the operator accepts.
 */
export const FEED_GROUP = 'trading-backend.io';
export const FEED_VERSION = 'v1alpha1';
export const FEED_KIND = 'MarketDataFeed';
export const FEED_PLURAL = 'marketdatafeeds';

// Five cron fields (minute hour day-of-month month day-of-week), as CronJob takes them, or a macro.
const CRON = /^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|(\S+\s+){4}\S+)$/;

export const ZFeedSpec = z
  .strictObject({
    provider: z
      .enum(['coingecko', 'coinmarketcap', 'replay'])
      .optional()
      .describe('Default: the platform’s configured provider'),
    topN: z.number().int().min(1).max(250).describe('How many top coins each sync upserts'),
    schedule: z.string().regex(CRON).max(100).describe('Cron schedule of the syncs (UTC)'),
    backfillDays: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .optional()
      .describe('When set, a daily backfill of the top N coins over this many days'),
    historyRetentionDays: z
      .number()
      .int()
      .min(1)
      .max(36500)
      .optional()
      .describe('When set, a daily cleanup deleting history older than this'),
    suspend: z.boolean().default(false).describe('Suspends every CronJob of the feed'),
  })
  .describe('What the feed syncs and when');
export type TFeedSpec = z.output<typeof ZFeedSpec>;

const ZCondition = z.strictObject({
  type: z.enum(['Ready', 'Reconciled', 'Degraded']),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().max(128),
  message: z.string().max(1024),
  lastTransitionTime: z.string().describe('RFC 3339'),
  observedGeneration: z.number().int().optional(),
});
export type TCondition = z.output<typeof ZCondition>;

export const ZFeedStatus = z
  .strictObject({
    conditions: z.array(ZCondition).max(8).optional(),
    observedGeneration: z.number().int().optional(),
    cronJobs: z.array(z.string()).max(8).optional().describe('The CronJobs the feed owns'),
    lastScheduleTime: z.string().optional().describe('When a sync of the feed was last scheduled (RFC 3339)'),
    lastJobId: z.string().optional().describe('The last Kubernetes Job a sync of the feed ran as'),
    lastResult: z.enum(['Succeeded', 'Failed', 'Running']).optional(),
  })
  .describe('What the operator last did and saw');
export type TFeedStatus = z.output<typeof ZFeedStatus>;

export type TFeed = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation?: number;
    resourceVersion?: string;
    deletionTimestamp?: string;
    finalizers?: string[];
    labels?: Record<string, string>;
  };
  spec: unknown;
  status?: TFeedStatus;
};
