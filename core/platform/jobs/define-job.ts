import type { JobsOptions } from 'bullmq';
import { z } from 'zod';

/** What a handler may do with the job it runs (BullMQ stays in worker/). */
export type TJobRun = {
  id: string;
  /** Reports progress, 0-100 (shown by the jobs API and the queue dashboard). */
  progress: (percent: number) => Promise<void>;
};

/**
 * How a feature declares a job it owns, in one place beside its service (core/<feature>/<feature>.jobs.ts):
 * the job name (also its queue), the payload schema, how triggers share a job id, its concurrency, BullMQ
 * options, and its handler. core/features.ts lists every feature's jobs; worker/ runs them; what follows a
 * job is core/workflows.ts's business, never the handler's.
 */
export type TJobDeclaration<Name extends string, Schema extends z.ZodType, Deps> = {
  name: Name;
  schema: Schema;
  /** Triggers inside one window share a job id, so BullMQ runs them once. */
  windowMs: number;
  jobId: (payload: z.output<Schema>, windowStart: number) => string;
  concurrency: number;
  options: JobsOptions;
  /**
   * Runs one validated payload (`as_of` always set) and returns the summary BullMQ stores. `deps` is
   * what the handler needs of the composed services (core/features.ts gives every handler all of them).
   * Method syntax on purpose: a declaration stays assignable to the registry's element type.
   */
  handle(
    payload: z.output<Schema> & { as_of: string },
    run: TJobRun,
    deps: Deps,
  ): Promise<Record<string, unknown>>;
};

/** Any declaration, as registries hold them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TAnyJob = TJobDeclaration<string, z.ZodType<any, any>, any>;

export const defineJob = <Name extends string, Schema extends z.ZodType, Deps>(
  declaration: TJobDeclaration<Name, Schema, Deps>,
) => declaration;

export const windowStart = (time: number, windowMs: number) => time - (time % windowMs);

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
