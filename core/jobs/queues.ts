import type { EventEmitter } from 'node:events';
import { FlowProducer, Queue, type FlowJob, type JobsOptions, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  JOB_DEFINITIONS,
  isIssuedJobId,
  type TFlowStep,
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

export const DEAD_LETTER_QUEUE = 'dead-letter';

/** What the dead-letter queue keeps: enough to see what failed and to replay it. */
export type TDeadLetter =
  | {
      source: 'job';
      queue: TJobName;
      job_id: string;
      data: Record<string, unknown>;
      failed_reason: string;
      attempts: number;
      failed_at: string;
    }
  | {
      source: 'webhook';
      delivery_id: string;
      endpoint_id: string;
      event_type: string;
      round: number;
      failed_reason: string;
      attempts: number;
      failed_at: string;
    };

export type TEnqueued = {
  job_id: string;
  name: TJobName;
  deduplicated: boolean;
  /** For a job with steps after it: the id of the flow's last step (its root). */
  flow_id?: string;
};

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

  // Jobs whose every attempt failed, and dead webhook deliveries: kept until an operator replays them.
  // No worker consumes this queue.
  const deadLetter = new Queue<TDeadLetter>(DEAD_LETTER_QUEUE, { connection, prefix });
  deadLetter.on('error', onError);
  const flows = new FlowProducer({ connection, prefix });
  flows.on('error', onError);

  /**
   * The job and the steps that follow it as one flow: the last step is the root, each earlier step its
   * child; a child that fails for good fails its parent (the flow shows where it stopped).
   */
  function flowOf(
    name: TJobName,
    data: Record<string, unknown>,
    jobId: string,
    options: JobsOptions,
    steps: TFlowStep[],
  ): FlowJob {
    let node: FlowJob = {
      name,
      queueName: name,
      data,
      opts: { ...options, jobId, failParentOnFailure: true },
    };
    for (const [index, next] of steps.entries()) {
      const definition = JOB_DEFINITIONS[next.name];
      const parsed = definition.schema.parse(next.data) as Record<string, unknown>;
      node = {
        name: next.name,
        queueName: next.name,
        data: { ...parsed, as_of: data.as_of },
        opts: {
          ...definition.options,
          jobId: `${next.name}-after-${jobId}`,
          ...(index < steps.length - 1 ? { failParentOnFailure: true } : {}),
        },
        children: [node],
      };
    }
    return node;
  }

  return {
    queues,
    deadLetter,
    get: (name: TJobName) => queues[name],

    /** Files a dead letter (once per job or delivery: its id is the entry's). */
    async toDeadLetter(entry: TDeadLetter): Promise<void> {
      const id = entry.source === 'job' ? `dead-${entry.job_id}` : `dead-${entry.delivery_id}-${entry.round}`;
      await deadLetter.add(entry.source, entry, {
        jobId: id.replace(/:/g, '_'),
        removeOnComplete: true,
        removeOnFail: true,
      });
    },

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
      if (existing) return { job_id: existing.id ?? jobId, name, deduplicated: true };
      const steps =
        (definition.then as ((payload: TJobPayloads[N]) => TFlowStep[]) | undefined)?.(parsed) ?? [];
      if (steps.length) {
        await flows.add(flowOf(name, data, jobId, definition.options, steps));
        return { job_id: jobId, name, deduplicated: false, flow_id: `${steps.at(-1)!.name}-after-${jobId}` };
      }
      const job = await queues[name].add(name, data, {
        ...definition.options,
        jobId,
        ...(options.delayMs ? { delay: options.delayMs } : {}),
      });
      return { job_id: job.id ?? jobId, name, deduplicated: false };
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

    /**
     * The ids of a flow's steps in order, for any of them (the first step's id, or `<step>-after-<first>`);
     * null for a job that is not part of a flow.
     */
    async flowOf(jobId: string): Promise<{ name: TJobName; id: string }[] | null> {
      const after = /^(.+?)-after-(.+)$/.exec(jobId);
      const first = after && JOB_NAMES.includes(after[1] as TJobName) ? after[2]! : jobId;
      const name = jobNameOf(first);
      const steps = name
        ? ((JOB_DEFINITIONS[name].then as ((payload: never) => TFlowStep[]) | undefined) ?? null)
        : null;
      if (!name || !steps) return null;
      const head = await queues[name].getJob(first);
      if (!head?.parentKey) return null; // a scheduler-made job: it queues its next step itself
      return [
        { name, id: first },
        ...steps(head.data as never).map((step) => ({ name: step.name, id: `${step.name}-after-${first}` })),
      ];
    },

    async close(): Promise<void> {
      await Promise.all([...Object.values(queues), deadLetter].map(closeQuietly));
      await flows.close().catch(() => undefined);
    },
  };
}
