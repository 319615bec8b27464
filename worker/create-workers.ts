import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { JOBS, JOB_NAMES, type TJobName, type TJobQueues } from '../core/features.ts';
import type { TConfig } from '../core/platform/config/env.ts';
import { windowStart, type TAnyJob, type TQueues } from '../core/platform/jobs/index.ts';
import { logContext } from '../core/platform/logging/logger.ts';
import { inConsumerSpan } from '../core/platform/tracing/index.ts';
import type { TServices } from '../core/services.ts';
import { retryDelay } from './retry-delay.ts';
import type { TWorkerMetrics } from './worker-metrics.ts';

type TQueueConfig = Pick<
  TConfig,
  'WORKER_QUEUES' | 'WORKER_SKIP_QUEUES' | 'QUEUE_CONCURRENCY' | 'BACKFILL_CONCURRENCY'
>;

/**
 * The queues this worker serves: WORKER_QUEUES (default all) less WORKER_SKIP_QUEUES. A fleet can split
 * its queues across Deployments (webhook deliveries apart, with their own egress).
 */
export function servedQueues(
  config: Pick<TQueueConfig, 'WORKER_QUEUES' | 'WORKER_SKIP_QUEUES' | 'QUEUE_CONCURRENCY'>,
  names: readonly string[] = JOB_NAMES,
): TJobName[] {
  const unknown = [
    ...(config.WORKER_QUEUES ?? []),
    ...config.WORKER_SKIP_QUEUES,
    ...Object.keys(config.QUEUE_CONCURRENCY),
  ].filter((name) => !names.includes(name));
  if (unknown.length)
    throw new Error(`WORKER_QUEUES / WORKER_SKIP_QUEUES: unknown queue(s) ${unknown.join(', ')}`);
  return (names as TJobName[]).filter(
    (name) => (config.WORKER_QUEUES?.includes(name) ?? true) && !config.WORKER_SKIP_QUEUES.includes(name),
  );
}

/** The worker refuses to boot when a declared job has no handler. */
export function assertEveryJobHasAHandler(): void {
  const missing = JOBS.filter((job) => typeof job.handle !== 'function').map((job) => job.name);
  if (missing.length) throw new Error(`no handler for job(s): ${missing.join(', ')}`);
}

/**
 * One BullMQ Worker per queue, each with its own connection and concurrency. The runtime only: a job's
 * handler is declared with it (core/<feature>/<feature>.jobs.ts) and gets the composed services; what
 * follows a job that ran outside a flow is core/workflows.ts's (`workflows.after`).
 */
export function createWorkers(deps: {
  config: TConfig;
  logger: Logger;
  metrics: TWorkerMetrics;
  queues: TJobQueues | TQueues;
  services: TServices;
  connection: () => Redis;
  /** The jobs to run (default: every feature's, core/features.ts). */
  jobs?: readonly TAnyJob[];
}): Worker[] {
  const { config, logger, metrics, services } = deps;
  const jobs: readonly TAnyJob[] = deps.jobs ?? JOBS;
  return servedQueues(
    config,
    jobs.map((job) => job.name),
  ).map((name) => {
    const definition = jobs.find((job) => job.name === name)!;
    const worker = new Worker(
      name,
      async (job: Job) => {
        const started = performance.now();
        // With tracing on: a consumer span, child of the span that enqueued the job (tracing/index.ts).
        const traced = {
          queue: name,
          id: job.id ?? '',
          attempt: job.attemptsMade + 1,
          metadata: job.opts.telemetry?.metadata,
        };
        return logContext.run({ jobId: job.id }, () =>
          inConsumerSpan(traced, async () => {
            const payload = definition.schema.parse(job.data) as Record<string, unknown>;
            // Scheduler-made jobs carry no as_of: use their own trigger window, so a retry rewrites the same rows.
            const asOf =
              (payload.as_of as string | undefined) ??
              new Date(windowStart(job.timestamp, definition.windowMs)).toISOString();
            logger.info({ job: name, attempt: job.attemptsMade + 1 }, 'job started');
            try {
              const input = { ...payload, as_of: asOf };
              const run = { id: job.id ?? '', progress: (percent: number) => job.updateProgress(percent) };
              const result = await (
                definition.handle as (
                  p: unknown,
                  r: typeof run,
                  d: TServices,
                ) => Promise<Record<string, unknown>>
              )(input, run, services);
              // Steps of a flow have their next step queued already (as their parent).
              const next = job.parentKey ? {} : await services.workflows.after(name, input);
              observe(name, 'completed', started);
              logger.info({ job: name, result }, 'job completed');
              return { ...result, ...next };
            } catch (error) {
              observe(name, 'failed', started);
              logger.warn({ job: name, err: error, attempt: job.attemptsMade + 1 }, 'job failed');
              throw error;
            }
          }),
        );
      },
      {
        connection: deps.connection(),
        prefix: config.QUEUE_PREFIX,
        concurrency:
          config.QUEUE_CONCURRENCY[name] ??
          (name === 'backfill-history' ? config.BACKFILL_CONCURRENCY : definition.concurrency),
        lockDuration: config.WORKER_LOCK_DURATION_MS,
        stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
        maxStalledCount: 2,
        settings: { backoffStrategy: retryDelay },
      },
    );
    worker.on('error', (error) => logger.error({ err: error, queue: name }, 'worker error'));
    // After its last attempt a job goes to the dead-letter queue, from which an admin can replay it.
    worker.on('failed', (job, error) => {
      if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return;
      void deps.queues
        .toDeadLetter({
          source: 'job',
          queue: name,
          job_id: job.id ?? '',
          data: job.data as Record<string, unknown>,
          failed_reason: error.message,
          attempts: job.attemptsMade,
          failed_at: new Date().toISOString(),
        })
        .catch((failure: unknown) =>
          logger.error({ err: failure, job: job.id }, 'could not file a dead letter'),
        );
    });
    return worker;
  });

  function observe(name: string, status: string, started: number): void {
    metrics.jobs.inc({ queue: name, job: name, status });
    metrics.duration.observe({ queue: name, job: name, status }, (performance.now() - started) / 1000);
  }
}
