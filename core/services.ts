import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import {
  FEATURES,
  type TAnyFeature,
  type TFeatureDeps,
  type TFeatureServices,
  type TJobQueues,
} from './features.ts';
import type { TConfig } from './platform/config/env.ts';
import type { TJobs, TQueues } from './platform/jobs/index.ts';
import { createWorkflows, type TWorkflows } from './workflows.ts';

export type TServiceDeps = {
  config: TConfig;
  db: DataSource;
  /** The queue store: what must not be evicted (job requesters, login failures, alert pub/sub). */
  redis: Redis;
  /** The cache store: cache versions and computed rankings (default: `redis`). */
  cacheRedis?: Redis;
  queues: TJobQueues | TQueues;
  logger: Logger;
  /** The process's metrics registry, for what the worker's jobs export (provider metrics, the last sync). */
  metrics?: Registry;
};

export type TServices = TFeatureServices & { workflows: TWorkflows };

/**
 * The one composition of the domain services, built the same way by the API, the worker and the tests:
 * each feature's services (core/features.ts, in its order), over the shared infrastructure and the job
 * system, whose consequences core/workflows.ts declares.
 */
export function createServices(deps: TServiceDeps, features: readonly TAnyFeature[] = FEATURES): TServices {
  const cacheRedis = deps.cacheRedis ?? deps.redis;
  const workflows = createWorkflows({
    queues: deps.queues,
    cacheRedis,
    keyPrefix: deps.config.REDIS_KEY_PREFIX,
  });
  const jobs: TJobs = {
    enqueue: deps.queues.enqueue,
    toDeadLetter: deps.queues.toDeadLetter,
    announce: workflows.announce,
  };
  const featureDeps: TFeatureDeps = { ...deps, cacheRedis, jobs };
  const built: Record<string, unknown> = {};
  for (const feature of features) Object.assign(built, feature.services(featureDeps, built));
  return { ...(built as TFeatureServices), workflows };
}
