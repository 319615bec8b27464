import { AppError, ErrorCode } from '../platform/errors/app-error.ts';
import type { TProviderName } from '../market/index.ts';
import { describeJob } from './job-status.ts';
import type { TQueues } from './queues.ts';

const ENQUEUE_TIMEOUT_MS = 3000;

/** Job use cases for the API: trigger a sync, read a job's status. Queue details stay in core/jobs. */
export function createJobService(deps: { queues: TQueues }) {
  const { queues } = deps;

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

  return {
    triggerSync: (input: { limit: number; provider?: TProviderName }) =>
      withTimeout(queues.enqueue('sync-markets', input)),

    async status(jobId: string) {
      const found = await withTimeout(queues.find(jobId));
      if (!found) throw new AppError(ErrorCode.NotFound, { detail: `No job with id "${jobId}".` });
      return describeJob(found.job, found.queue);
    },
  };
}

export type TJobService = ReturnType<typeof createJobService>;
