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
  logger.info(
    { schedules: SCHEDULES.map((schedule) => `${schedule.id} (${schedule.cron})`) },
    'internal scheduler on',
  );
}
