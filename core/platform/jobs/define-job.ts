import type { JobsOptions } from 'bullmq';
import { z } from 'zod';

/**
 * How a feature declares a job it owns, beside its service (core/<feature>/<feature>.jobs.ts): the job
 * name (also its queue), the payload schema, how triggers share a job id, its concurrency, BullMQ
 * options, and the steps that follow it as a flow. core/jobs composes every feature's declarations;
 * the worker's processors (worker/processors/<feature>/) are their handlers.
 */
export type TJobDeclaration<Name extends string, Schema extends z.ZodType> = {
  name: Name;
  schema: Schema;
  /** Triggers inside one window share a job id, so BullMQ runs them once. */
  windowMs: number;
  jobId: (payload: z.output<Schema>, windowStart: number) => string;
  concurrency: number;
  options: JobsOptions;
  /** The jobs that follow, in order, as one flow (see core/jobs/queues.ts). */
  then?: (payload: z.output<Schema>) => { name: string; data: Record<string, unknown> }[];
};

export const defineJob = <Name extends string, Schema extends z.ZodType>(
  declaration: TJobDeclaration<Name, Schema>,
) => declaration;

export const MINUTE = 60_000;

export const ZAsOf = z.iso.datetime().optional().describe('Trigger window start; set by enqueue');

export const ZSymbolList = (max: number) =>
  z
    .array(
      z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,20}$/)
        .transform((symbol) => symbol.toUpperCase()),
    )
    .min(1)
    .max(max);

// Completed jobs stay a day and failed ones a week, so operators can inspect them (and their errors).
export const KEEP: JobsOptions = {
  attempts: 3,
  // Exponential from 5 s, and never before a rate-limiting provider's cooldown ends (worker/retry-delay.ts).
  backoff: { type: 'cooldown-aware', delay: 5_000 },
  removeOnComplete: { age: 24 * 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
};
