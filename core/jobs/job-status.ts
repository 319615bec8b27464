import type { Job } from 'bullmq';
import type { TJobState } from '../platform/jobs/index.ts';

const iso = (time: number | undefined) => (time ? new Date(time).toISOString() : null);

/**
 * A BullMQ job as the API shows it: no stack traces, just the state, the outcome and the timing.
 * `reload` reads the job again: one read before it finished whose state now says it has would show
 * `completed` without its result.
 */
export async function describeJob(
  read: Job,
  queue: string,
  flow: { name: string; id: string; state: string }[] | null = null,
  reload?: () => Promise<Job | undefined | null>,
) {
  const state = await read.getState();
  const finished = state === 'completed' || state === 'failed';
  const job = finished && !read.finishedOn && reload ? ((await reload()) ?? read) : read;
  return {
    id: job.id ?? '',
    name: job.name,
    queue,
    state: state as TJobState | 'unknown',
    progress: job.progress as number | string | boolean | Record<string, unknown>,
    attempts_made: job.attemptsMade,
    attempts_max: job.opts.attempts ?? 1,
    data: job.data as Record<string, unknown>,
    result: (job.returnvalue as Record<string, unknown> | null | undefined) ?? null,
    failed_reason: job.failedReason ?? null,
    created_at: new Date(job.timestamp).toISOString(),
    processed_at: iso(job.processedOn),
    finished_at: iso(job.finishedOn),
    flow,
  };
}
