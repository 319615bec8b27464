import type { Logger } from 'pino';
import type { TJobQueues } from '../core/features.ts';
import { SCHEDULES } from '../core/schedules.ts';

/** The chart's CronJob cadence (core/schedules.ts), for SCHEDULER=internal (local runs without Kubernetes). */
export async function startInternalScheduler(queues: TJobQueues, logger: Logger): Promise<void> {
  for (const schedule of SCHEDULES) {
    const definition = queues.definition(schedule.job);
    const data = definition.schema.parse(schedule.data);
    await queues
      .get(schedule.job)
      .upsertJobScheduler(
        schedule.id,
        { pattern: schedule.cron, tz: 'UTC' },
        { name: schedule.job, data, opts: definition.options },
      );
  }
  // Catch-up schedules run once now too: what a stopped worker missed is made at its next start (their
  // job ids are per trigger window, so several workers starting together enqueue one job).
  for (const schedule of SCHEDULES.filter((entry) => entry.onStart))
    await queues.enqueue(schedule.job, schedule.data);
  logger.info(
    { schedules: SCHEDULES.map((schedule) => `${schedule.id} (${schedule.cron})`) },
    'internal scheduler on',
  );
}
