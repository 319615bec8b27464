import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { TConfig } from './config/env.ts';
import type { TMigration } from './db/data-source.ts';
import type { TAnyJob, TJobs, TQueues } from './jobs/index.ts';

// What a feature is, as core/features.ts lists them: its schema, its jobs, its routes and how its
// services are built. The platform knows the shape, never a feature.

/** What every feature's service factory is given: the infrastructure, and the job system. */
export type TFeatureDeps = {
  config: TConfig;
  db: DataSource;
  /** The queue store: what must not be evicted (job requesters, login failures, alert pub/sub). */
  redis: Redis;
  /** The cache store: cache versions and computed rankings. */
  cacheRedis: Redis;
  logger: Logger;
  /** Enqueue the feature's own jobs, file dead letters, announce changes (core/workflows.ts reacts). */
  jobs: TJobs;
  queues: TQueues;
  /** The process's metrics registry (the worker's: provider metrics, the last sync). */
  metrics?: Registry;
};

export type TFeature<Services, Built, Jobs extends readonly TAnyJob[] = readonly TAnyJob[]> = {
  name: string;
  /** The feature's schema, oldest first (core/<feature>/migrations/). */
  migrations: readonly TMigration[];
  /** Its jobs, each with its handler (core/<feature>/<feature>.jobs.ts). */
  jobs: Jobs;
  /** Its route modules (api/routes/index.ts mounts them; the permission table is core/platform/access). */
  routes: readonly string[];
  /** Its services, from the infrastructure and the services of the features listed before it. */
  services: (deps: TFeatureDeps, built: Built) => Services;
};

export const feature = <
  Services extends object,
  const Jobs extends readonly TAnyJob[] = readonly [],
  Built = unknown,
>(
  definition: TFeature<Services, Built, Jobs>,
) => definition;

/** A feature as the composition reads it (any services, any prerequisites). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TAnyFeature = TFeature<object, any>;
