import type { Job } from 'bullmq';
import type { TAuditService } from '../audit/index.ts';
import { requirePermission, type TActor } from '../platform/access/index.ts';
import { AppError, ErrorCode } from '../platform/errors/app-error.ts';
import { JOB_STATES, type TDeadLetter, type TJobState, type TQueues } from '../platform/jobs/index.ts';
import type { TWebhooksService } from '../webhooks/index.ts';
import { describeJob } from './job-status.ts';

const notFound = (what: string, id: string) =>
  new AppError(ErrorCode.NotFound, { detail: `No ${what} with id "${id}".` });
const conflict = (detail: string) => new AppError(ErrorCode.Conflict, { detail });

/**
 * Operators' view of the queues (jobs:admin): list jobs by queue and state, retry a failed one,
 * promote a delayed one, remove one; read the dead-letter queue and replay its entries. Every action
 * is audited. Pages are offsets into each queue's state lists, newest first, queue by queue.
 */
export function createJobAdminService(deps: {
  queues: TQueues;
  audit: TAuditService;
  /** A dead delivery's letter is replayed by the webhooks feature, as a new round. */
  webhooks: Pick<TWebhooksService, 'replay'>;
}) {
  const { queues, audit } = deps;

  async function found(actor: TActor, id: string) {
    requirePermission(actor, 'jobs:admin');
    const job = await queues.find(id);
    if (!job) throw notFound('job', id);
    return job;
  }

  const record = (actor: TActor, action: string, id: string, details: Record<string, unknown> = {}) =>
    audit.recordAlone(actor, { action, outcome: 'success', target: { type: 'job', id }, details });

  return {
    async list(
      actor: TActor,
      query: {
        queue?: string;
        state?: TJobState;
        limit: number;
        cursor?: { queue: number; offset: number };
      },
    ) {
      requirePermission(actor, 'jobs:admin');
      const names = query.queue ? [query.queue] : queues.names;
      const states = query.state ? [query.state] : [...JOB_STATES];
      const data: Awaited<ReturnType<typeof describeJob>>[] = [];
      let position = query.cursor ?? { queue: 0, offset: 0 };
      while (position.queue < names.length && data.length < query.limit) {
        const name = names[position.queue]!;
        const wanted = query.limit - data.length;
        const jobs = (
          await queues.get(name).getJobs(states, position.offset, position.offset + wanted - 1, false)
        ).filter((job): job is Job => Boolean(job));
        for (const job of jobs)
          data.push(await describeJob(job, name, null, () => queues.get(name).getJob(job.id!)));
        position =
          jobs.length < wanted
            ? { queue: position.queue + 1, offset: 0 }
            : { queue: position.queue, offset: position.offset + jobs.length };
      }
      return {
        data,
        pagination: {
          limit: query.limit,
          next_cursor: position.queue < names.length ? `${position.queue}.${position.offset}` : null,
        },
      };
    },

    /** A failed job runs again (its attempts start over). */
    async retry(actor: TActor, id: string) {
      const { job, queue } = await found(actor, id);
      const state = await job.getState();
      if (state !== 'failed') throw conflict(`Job ${id} is ${state}; only failed jobs can be retried.`);
      await job.retry('failed');
      await record(actor, 'job.retry', id, { queue });
      return describeJob(job, queue);
    },

    /** A delayed job (a webhook retry waiting, say) runs now. */
    async promote(actor: TActor, id: string) {
      const { job, queue } = await found(actor, id);
      const state = await job.getState();
      if (state !== 'delayed') throw conflict(`Job ${id} is ${state}; only delayed jobs can be promoted.`);
      await job.promote();
      await record(actor, 'job.promote', id, { queue });
      return describeJob(job, queue);
    },

    async remove(actor: TActor, id: string): Promise<void> {
      const { job, queue } = await found(actor, id);
      const state = await job.getState();
      if (state === 'active') throw conflict(`Job ${id} is running; it cannot be removed now.`);
      await job.remove();
      await record(actor, 'job.remove', id, { queue, state });
    },

    async deadLetters(actor: TActor, page: { limit: number; offset: number }) {
      requirePermission(actor, 'jobs:admin');
      const jobs = await queues.deadLetter.getJobs(
        ['waiting', 'delayed', 'paused'],
        page.offset,
        page.offset + page.limit,
        false,
      );
      const entries = jobs.filter(Boolean) as Job<TDeadLetter>[];
      const data = entries.slice(0, page.limit).map((job) => ({ id: job.id!, ...job.data }));
      return {
        data,
        pagination: {
          limit: page.limit,
          next_cursor: entries.length > page.limit ? String(page.offset + page.limit) : null,
        },
      };
    },

    /** Runs a dead letter again: a job as a new job with the same data, a delivery as a new round. */
    async replay(actor: TActor, id: string) {
      requirePermission(actor, 'jobs:admin');
      const entry = await queues.deadLetter.getJob(id);
      if (!entry) throw notFound('dead letter', id);
      const letter = entry.data;
      let replayed: string;
      if (letter.source === 'job') {
        replayed = await queues.replay(letter.queue, letter.data, letter.job_id);
      } else {
        await deps.webhooks.replay(letter.delivery_id);
        replayed = letter.delivery_id;
      }
      await entry.remove();
      await record(actor, 'dead_letter.replay', id, { source: letter.source, replayed });
      return { id, source: letter.source, replayed };
    },
  };
}

export type TJobAdminService = ReturnType<typeof createJobAdminService>;
