import type { EventEmitter } from 'node:events';
import { FlowProducer, Queue, type FlowJob, type JobsOptions, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { inProducerSpan } from '../tracing/index.ts';
import { DEAD_LETTER_QUEUE, type TDeadLetter } from './dead-letter.ts';
import { windowStart, type TAnyJob } from './define-job.ts';

type TWithConnections = { connection?: EventEmitter; blockingConnection?: EventEmitter };

/**
 * Closes a BullMQ Queue, Worker or FlowProducer. BullMQ's connection drops every listener when it closes, but a
 * start-up still in flight (closed right after creation, or while Redis is unreachable) rejects
 * later as an 'error' event on that connection; with no listener left, Node throws it and the
 * process dies. One no-op listener stays on for that late rejection.
 */
export async function closeQuietly(closable: Queue | Worker | FlowProducer): Promise<void> {
  try {
    await closable.close();
  } finally {
    const { connection, blockingConnection } = closable as unknown as TWithConnections;
    for (const emitter of [connection, blockingConnection]) emitter?.on('error', () => undefined);
  }
}

/** A job that runs after another (core/workflows.ts says which). */
export type TFlowStep = { name: string; data: Record<string, unknown> };

/** The steps enqueued with a job as one flow, in order; none for a job that runs alone. */
export type TFlowOf = (name: string, payload: Record<string, unknown>) => TFlowStep[];

export type TEnqueued = {
  job_id: string;
  name: string;
  deduplicated: boolean;
  /** For a job with steps after it: the id of the flow's last step (its root). */
  flow_id?: string;
};

/**
 * What a feature is given to enqueue its own jobs and file dead letters; the full producer (below)
 * satisfies it. Features never see BullMQ.
 */
export type TJobProducer<Name extends string = string> = {
  enqueue(name: Name, payload: unknown, now?: number, options?: { delayMs?: number }): Promise<TEnqueued>;
  toDeadLetter(entry: TDeadLetter): Promise<void>;
};

/** Ids of scheduler-made jobs: `repeat:<scheduler id>:<run time in ms>` (BullMQ job schedulers). */
const SCHEDULED_JOB_ID = /^repeat:[a-z0-9-]{1,64}:\d{1,16}$/;

/**
 * The producer side of the job system, built from a registry of job declarations (core/features.ts):
 * one BullMQ Queue per job name, the dead-letter queue, and the only way jobs are added. `flowOf`
 * (core/workflows.ts) names the steps enqueued with a job as one flow.
 */
export function createQueues<const Registry extends readonly TAnyJob[]>(
  registry: Registry,
  connection: Redis,
  prefix: string,
  options: { onError?: (error: Error) => void; flowOf?: TFlowOf } = {},
) {
  type TName = Registry[number]['name'];
  const onError = options.onError ?? (() => undefined);
  const flowSteps: TFlowOf = options.flowOf ?? (() => []);
  const definitions = new Map<string, TAnyJob>(
    registry.map((declaration): [string, TAnyJob] => [declaration.name, declaration]),
  );
  const names = registry.map((declaration) => declaration.name) as TName[];
  const definition = (name: string): TAnyJob => {
    const found = definitions.get(name);
    if (!found) throw new Error(`no feature declares a job named ${name}`);
    return found;
  };
  const queues = Object.fromEntries(
    names.map((name) => {
      const queue = new Queue(name, { connection, prefix });
      // A Queue re-emits its connection's errors (and a failed start when closed early) as 'error'
      // events; one without a listener would be thrown and take the process down.
      queue.on('error', onError);
      return [name, queue];
    }),
  ) as Record<TName, Queue>;

  // Jobs whose every attempt failed, and dead webhook deliveries: kept until an operator replays them.
  // No worker consumes this queue.
  const deadLetter = new Queue<TDeadLetter>(DEAD_LETTER_QUEUE, { connection, prefix });
  deadLetter.on('error', onError);
  const flows = new FlowProducer({ connection, prefix });
  flows.on('error', onError);

  const issuedId = new RegExp(`^(?:${names.join('|')})-[A-Za-z0-9._-]{1,160}$`);
  const isIssuedJobId = (id: string): boolean => issuedId.test(id) || SCHEDULED_JOB_ID.test(id);
  const jobNameOf = (jobId: string): TName | undefined => names.find((name) => jobId.startsWith(`${name}-`));

  /**
   * The job and the steps that follow it as one flow: the last step is the root, each earlier step its
   * child; a child that fails for good fails its parent (the flow shows where it stopped).
   */
  function flowJob(
    name: string,
    data: Record<string, unknown>,
    jobId: string,
    jobOptions: JobsOptions,
    steps: TFlowStep[],
    telemetry: JobsOptions['telemetry'],
  ): FlowJob {
    let node: FlowJob = {
      name,
      queueName: name,
      data,
      opts: { ...jobOptions, jobId, failParentOnFailure: true, ...(telemetry ? { telemetry } : {}) },
    };
    for (const [index, next] of steps.entries()) {
      const step = definition(next.name);
      const parsed = step.schema.parse(next.data) as Record<string, unknown>;
      node = {
        name: next.name,
        queueName: next.name,
        data: { ...parsed, as_of: data.as_of },
        opts: {
          ...step.options,
          jobId: `${next.name}-after-${jobId}`,
          ...(index < steps.length - 1 ? { failParentOnFailure: true } : {}),
          ...(telemetry ? { telemetry } : {}),
        },
        children: [node],
      };
    }
    return node;
  }

  return {
    queues,
    deadLetter,
    names,
    definition(name: string): TAnyJob {
      return definition(name);
    },
    /** True for ids of the shapes this platform issues (enqueue's deterministic ids, job schedulers' ids). */
    isIssuedJobId(id: string): boolean {
      return isIssuedJobId(id);
    },
    /** The job name a job id belongs to (job ids start with it), when it can be told. */
    jobNameOf(jobId: string): TName | undefined {
      return jobNameOf(jobId);
    },
    get(name: TName): Queue {
      return queues[name];
    },

    /** Files a dead letter (once per job or delivery: its id is the entry's). */
    async toDeadLetter(entry: TDeadLetter): Promise<void> {
      const id = entry.source === 'job' ? `dead-${entry.job_id}` : `dead-${entry.delivery_id}-${entry.round}`;
      await deadLetter.add(entry.source, entry, {
        jobId: id.replace(/:/g, '_'),
        removeOnComplete: true,
        removeOnFail: true,
      });
    },

    /**
     * Validates the payload, fixes the trigger window and adds the job under its deterministic id, with
     * the steps core/workflows.ts says follow it as one flow.
     */
    async enqueue(
      name: TName,
      payload: unknown,
      now = Date.now(),
      enqueueOptions: { delayMs?: number } = {},
    ): Promise<TEnqueued> {
      const declared = definition(name);
      const window = windowStart(now, declared.windowMs);
      const parsed = declared.schema.parse(payload) as Record<string, unknown> & { as_of?: string };
      const data = { ...parsed, as_of: parsed.as_of ?? new Date(window).toISOString() };
      const jobId = declared.jobId(parsed, window);
      const existing = await queues[name].getJob(jobId);
      if (existing) return { job_id: existing.id ?? jobId, name, deduplicated: true };
      const steps = flowSteps(name, parsed);
      // With tracing on, the job (every step of a flow) carries this trace's context to the worker.
      return inProducerSpan(name, async (metadata) => {
        const telemetry = metadata ? { metadata } : undefined;
        if (steps.length) {
          await flows.add(flowJob(name, data, jobId, declared.options, steps, telemetry));
          return {
            job_id: jobId,
            name,
            deduplicated: false,
            flow_id: `${steps.at(-1)!.name}-after-${jobId}`,
          };
        }
        const job = await queues[name].add(name, data, {
          ...declared.options,
          jobId,
          ...(enqueueOptions.delayMs ? { delay: enqueueOptions.delayMs } : {}),
          ...(telemetry ? { telemetry } : {}),
        });
        return { job_id: job.id ?? jobId, name, deduplicated: false };
      });
    },

    /** A dead job again, as a new job with the same data (its id says it is a replay). */
    async replay(name: TName, data: Record<string, unknown>, failedJobId: string): Promise<string> {
      const suffix = failedJobId.replace(/[^A-Za-z0-9._-]/g, '_').slice(-120);
      return inProducerSpan(name, async (metadata) => {
        const job = await queues[name].add(name, data, {
          ...definition(name).options,
          jobId: `${name}-replay-${Date.now()}-${suffix}`,
          ...(metadata ? { telemetry: { metadata } } : {}),
        });
        return job.id!;
      });
    },

    /** Finds a job by id (ids start with their job name; scheduler ids are looked up everywhere). */
    async find(jobId: string) {
      if (!isIssuedJobId(jobId)) return null;
      const name = jobNameOf(jobId);
      for (const candidate of name ? [name] : names) {
        const job = await queues[candidate].getJob(jobId);
        if (job) return { job, queue: candidate };
      }
      return null;
    },

    /**
     * The ids of a flow's steps in order, for any of them (the first step's id, or `<step>-after-<first>`);
     * null for a job that is not part of a flow.
     */
    async flowOf(jobId: string): Promise<{ name: TName; id: string }[] | null> {
      const after = /^(.+?)-after-(.+)$/.exec(jobId);
      const first = after && names.includes(after[1] as TName) ? after[2]! : jobId;
      const name = jobNameOf(first);
      if (!name) return null;
      const head = await queues[name].getJob(first);
      if (!head?.parentKey) return null; // not enqueued as a flow (a scheduler-made job, say)
      const steps = flowSteps(name, head.data as Record<string, unknown>);
      if (!steps.length) return null;
      return [
        { name, id: first },
        ...steps.map((step) => ({ name: step.name as TName, id: `${step.name}-after-${first}` })),
      ];
    },

    async close(): Promise<void> {
      await Promise.all([...Object.values<Queue>(queues), deadLetter].map(closeQuietly));
      await closeQuietly(flows).catch(() => undefined);
    },
  };
}

export type TQueuesOf<Registry extends readonly TAnyJob[]> = ReturnType<typeof createQueues<Registry>>;

/** The producer as code that works on any job (the jobs API, the worker runtime) sees it. */
export type TQueues = TQueuesOf<readonly TAnyJob[]>;
