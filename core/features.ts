import type { Redis } from 'ioredis';
import type { z } from 'zod';
import { auditFeature } from './audit/audit.feature.ts';
import { authFeature } from './auth/auth.feature.ts';
import { marketFeature } from './market/market.feature.ts';
import { riskFeature } from './risk/risk.feature.ts';
import { portfoliosFeature } from './portfolios/portfolios.feature.ts';
import { webhooksFeature } from './webhooks/webhooks.feature.ts';
import { alertsFeature } from './alerts/alerts.feature.ts';
import { reportsFeature } from './reports/reports.feature.ts';
import { jobsFeature } from './jobs/jobs.feature.ts';
import type { TMigration } from './platform/db/data-source.ts';
import { createQueues, type TAnyJob } from './platform/jobs/index.ts';
import { flowOf } from './workflows.ts';

export { feature, type TAnyFeature, type TFeature, type TFeatureDeps } from './platform/feature.ts';

/**
 * Every feature, in the order their services are built (a feature may use those before it). The roots
 * (api, worker, the migration CLI) and the test helpers read this list: the services, the jobs the worker
 * runs, the schema (and so the tables a test truncates, test/db.ts). The operator reads core/schedules.ts.
 */
export const FEATURES = [
  auditFeature,
  authFeature,
  marketFeature,
  riskFeature,
  portfoliosFeature,
  webhooksFeature,
  alertsFeature,
  reportsFeature,
  jobsFeature,
] as const;

type TFeatures = (typeof FEATURES)[number];
type TUnionToIntersection<U> = (U extends unknown ? (value: U) => void : never) extends (
  value: infer I,
) => void
  ? I
  : never;

/** Every feature's services, by name. */
export type TFeatureServices = TUnionToIntersection<ReturnType<TFeatures['services']>>;

/** Every job the platform runs, feature by feature; each name is also its queue. */
type TJob = TFeatures['jobs'][number];
export const JOBS: TJob[] = FEATURES.flatMap((entry): TJob[] => [...entry.jobs]);
export type TJobName = TJob['name'];
export const JOB_NAMES: TJobName[] = JOBS.map((job) => job.name);
export type TJobPayloads = { [J in TJob as J['name']]: z.output<J['schema']> };

/** The schema: every feature's migrations, oldest first (TypeORM runs them in this order). */
export const MIGRATIONS: TMigration[] = FEATURES.flatMap((entry) => [...entry.migrations]).sort(
  (a, b) => stamp(a) - stamp(b),
);
function stamp(migration: TMigration): number {
  return Number(/(\d{13})$/.exec(migration.name)?.[1] ?? 0);
}

/** The producer over every feature's jobs (or `jobs`), with the flows core/workflows.ts declares. */
export function createJobQueues<const Registry extends readonly TAnyJob[] = typeof JOBS>(
  connection: Redis,
  prefix: string,
  onError?: (error: Error) => void,
  jobs: Registry = JOBS as unknown as Registry,
) {
  return createQueues(jobs, connection, prefix, { flowOf, ...(onError ? { onError } : {}) });
}

export type TJobQueues = ReturnType<typeof createJobQueues<typeof JOBS>>;
