import type { EventEmitter } from 'node:events';
import { Queue, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  JOB_DEFINITIONS,
  isIssuedJobId,
  JOB_NAMES,
  jobNameOf,
  windowStart,
  type TJobName,
  type TJobPayloads,
} from './definitions.ts';

export type TQueues = ReturnType<typeof createQueues>;

type TWithConnections = { connection?: EventEmitter; blockingConnection?: EventEmitter };

/**
 * Closes a BullMQ Queue or Worker. BullMQ's connection drops every listener when it closes, but a
 * start-up still in flight (closed right after creation, or while Redis is unreachable) rejects
 * later as an 'error' event on that connection; with no listener left, Node throws it and the
 * process dies. One no-op listener stays on for that late rejection.
 */
export async function closeQuietly(closable: Queue | Worker): Promise<void> {
  try {
    await closable.close();
  } finally {
    const { connection, blockingConnection } = closable as unknown as TWithConnections;
    for (const emitter of [connection, blockingConnection]) emitter?.on('error', () => undefined);
  }
}

export type TEnqueued = { job_id: string; name: TJobName; deduplicated: boolean };

/** Producer side of the job system: one BullMQ Queue per job name, and the only way jobs are added. */
export function createQueues(
  connection: Redis,
  prefix: string,
  onError: (error: Error) => void = () => undefined,
) {
  const queues = Object.fromEntries(
    JOB_NAMES.map((name) => {
      const queue = new Queue(name, { connection, prefix });
      // A Queue re-emits its connection's errors (and a failed start when closed early) as 'error'
      // events; one without a listener would be thrown and take the process down.
      queue.on('error', onError);
      return [name, queue];
    }),
  ) as Record<TJobName, Queue>;

  return {
    queues,
    get: (name: TJobName) => queues[name],

    /** Validates the payload, fixes the trigger window and adds the job under its deterministic id. */
    async enqueue<N extends TJobName>(
      name: N,
      payload: unknown,
      now = Date.now(),
      options: { delayMs?: number } = {},
    ): Promise<TEnqueued> {
      const definition = JOB_DEFINITIONS[name];
      const window = windowStart(now, definition.windowMs);
      const parsed = definition.schema.parse(payload) as TJobPayloads[N];
      const data = { ...parsed, as_of: parsed.as_of ?? new Date(window).toISOString() };
      const jobId = definition.jobId(parsed, window);
      const existing = await queues[name].getJob(jobId);
      const job =
        existing ??
        (await queues[name].add(name, data, {
          ...definition.options,
          jobId,
          ...(options.delayMs ? { delay: options.delayMs } : {}),
        }));
      return { job_id: job.id ?? jobId, name, deduplicated: Boolean(existing) };
    },

    /** Finds a job by id (ids start with their job name; scheduler ids are looked up everywhere). */
    async find(jobId: string) {
      if (!isIssuedJobId(jobId)) return null;
      const name = jobNameOf(jobId);
      for (const candidate of name ? [name] : JOB_NAMES) {
        const job = await queues[candidate].getJob(jobId);
        if (job) return { job, queue: candidate };
      }
      return null;
    },

    async close(): Promise<void> {
      await Promise.all(Object.values(queues).map(closeQuietly));
    },
  };
}
