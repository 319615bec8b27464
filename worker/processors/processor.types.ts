import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { TConfig } from '../../core/platform/config/env.ts';
import type { TJobName, TJobPayloads, TQueues } from '../../core/jobs/index.ts';
import type { TProviderChain } from '../../core/market/index.ts';
import type { TAlertsService } from '../../core/alerts/index.ts';
import type { TWebhooksService } from '../../core/webhooks/index.ts';
import type { TWorkerMetrics } from '../worker-metrics.ts';

export type TProcessorDeps = {
  config: TConfig;
  db: DataSource;
  redis: Redis;
  providers: TProviderChain;
  logger: Logger;
  metrics: TWorkerMetrics;
  invalidateCache: () => Promise<unknown>;
  queues: TQueues;
  webhooks: TWebhooksService;
  alerts: TAlertsService;
};

/** A processor turns one validated payload into a result summary; BullMQ stores that summary. */
export type TProcessor<N extends TJobName> = (
  payload: TJobPayloads[N] & { as_of: string },
  job: Job,
  deps: TProcessorDeps,
) => Promise<Record<string, unknown>>;
