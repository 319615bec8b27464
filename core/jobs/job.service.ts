import { can, requireUser, type TActor } from '../platform/access/index.ts';
import type { Redis } from 'ioredis';
import type { TAuditService } from '../audit/index.ts';
import { AppError, ErrorCode } from '../platform/errors/app-error.ts';
import type { TProviderName } from '../market/index.ts';
import { describeJob } from './job-status.ts';
import type { TQueues } from '../platform/jobs/index.ts';

const ENQUEUE_TIMEOUT_MS = 3000;

// As long as BullMQ keeps a failed job (removeOnFail: 7 days), whoever triggered it may look at it.
const REQUESTERS_TTL_SECONDS = 7 * 24 * 3600;

/** Job use cases for the API: trigger a sync, read a job's status. Queue details stay in core/jobs. */
export function createJobService(deps: {
  queues: TQueues;
  redis: Redis;
  keyPrefix: string;
  audit: TAuditService;
}) {
  const { queues, redis } = deps;
  // Identical triggers share one job (deterministic ids), so a job can have several requesters.
  const requestersKey = (jobId: string) => `${deps.keyPrefix}job:requesters:${jobId}`;

  async function withTimeout<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        work,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('queue did not answer in time')), ENQUEUE_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      throw new AppError(ErrorCode.DependencyUnavailable, {
        detail: 'The job queue (Redis) is unavailable; retry shortly.',
        cause: error,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  const notFound = (jobId: string) =>
    new AppError(ErrorCode.NotFound, { detail: `No job with id "${jobId}".` });

  return {
    /** Enqueues a sync for `actor`, who can then follow it (with anyone else who triggered the same one). */
    async triggerSync(actor: TActor, input: { limit: number; provider?: TProviderName }) {
      const user = requireUser(actor);
      return withTimeout(
        (async () => {
          const job = await queues.enqueue('sync-markets', input);
          const key = requestersKey(job.job_id);
          await redis.multi().sadd(key, user.userId).expire(key, REQUESTERS_TTL_SECONDS).exec();
          await deps.audit.recordAlone(actor, {
            action: 'job.trigger',
            outcome: 'success',
            target: { type: 'job', id: job.job_id },
            details: { name: job.name, ...input, deduplicated: job.deduplicated },
          });
          return job;
        })(),
      );
    },

    /** A job's state, for the users who triggered it and for admins; to anyone else it does not exist. */
    async status(actor: TActor, jobId: string) {
      const found = await withTimeout(queues.find(jobId));
      if (!found) throw notFound(jobId);
      const flow = await withTimeout(queues.flowOf(jobId));
      // The steps of a flow belong to whoever triggered its first job.
      const triggered = flow?.[0]?.id ?? jobId;
      const visible =
        can(actor, 'jobs:admin') ||
        (actor.kind !== 'anonymous' &&
          (await withTimeout(redis.sismember(requestersKey(triggered), actor.userId))) === 1);
      if (!visible) throw notFound(jobId); // 404, not 403: ids of others' jobs do not leak
      const steps = flow
        ? await Promise.all(
            flow.map(async (step) => {
              const member = await queues.find(step.id);
              return { ...step, state: member ? await member.job.getState() : 'unknown' };
            }),
          )
        : null;
      return describeJob(found.job, found.queue, steps, async () => (await queues.find(jobId))?.job);
    },
  };
}

export type TJobService = ReturnType<typeof createJobService>;
