import type { JobsOptions } from 'bullmq';
import type { z } from 'zod';
import { ALERT_JOBS } from '../alerts/index.ts';
import { MARKET_JOBS } from '../market/index.ts';
import { RISK_JOBS } from '../risk/index.ts';
import { WEBHOOK_JOBS } from '../webhooks/index.ts';

// Every job the platform runs, each declared by the feature it belongs to (core/<feature>/*.jobs.ts).
// Each name is also its queue, so each has its own concurrency.
const DECLARATIONS = [...MARKET_JOBS, ...RISK_JOBS, ...ALERT_JOBS, ...WEBHOOK_JOBS];
type TDeclaration = (typeof DECLARATIONS)[number];

export type TJobName = TDeclaration['name'];
export const JOB_NAMES: TJobName[] = DECLARATIONS.map((declaration) => declaration.name);
export type TJobPayloads = { [D in TDeclaration as D['name']]: z.output<D['schema']> };

/** A job that runs after another, as the parent of that job in a BullMQ flow. */
export type TFlowStep = { name: TJobName; data: Record<string, unknown> };

type TDefinition<N extends TJobName> = {
  schema: z.ZodType<TJobPayloads[N], unknown>;
  /**
   * The jobs that follow this one when it is enqueued, in order: one BullMQ flow whose root is the last
   * step, so each step starts when the one before has completed and a failure fails the rest.
   */
  then?: (payload: TJobPayloads[N]) => TFlowStep[];
  windowMs: number;
  jobId: (payload: TJobPayloads[N], windowStart: number) => string;
  concurrency: number;
  options: JobsOptions;
};

export const JOB_DEFINITIONS = Object.fromEntries(
  DECLARATIONS.map((declaration) => [declaration.name, declaration]),
) as unknown as { [N in TJobName]: TDefinition<N> };

// A flow step names a job some feature declares (checked once, at load).
for (const declaration of DECLARATIONS) {
  const steps = 'then' in declaration ? declaration.then : undefined;
  for (const step of steps?.({} as never) ?? []) {
    if (!JOB_NAMES.includes(step.name as TJobName))
      throw new Error(`job ${declaration.name} is followed by ${step.name}, which no feature declares`);
  }
}

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
