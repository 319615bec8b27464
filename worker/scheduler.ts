import type { Logger } from 'pino';
import { JOB_DEFINITIONS, type TJobName } from '../core/jobs/index.ts';
import type { TQueues } from '../core/jobs/index.ts';

/** The cadence the Helm chart's CronJobs use, for SCHEDULER=internal (local runs without Kubernetes). */
export const SCHEDULES: { id: string; name: TJobName; pattern: string; data: Record<string, unknown> }[] = [
  { id: 'sync-top-50', name: 'sync-markets', pattern: '*/5 * * * *', data: { limit: 50 } },
  { id: 'sync-top-200', name: 'sync-markets', pattern: '7 * * * *', data: { limit: 200 } },
  { id: 'cleanup-daily', name: 'cleanup-history', pattern: '17 3 * * *', data: {} },
];

/** Upserts BullMQ job schedulers; idempotent, so every worker replica can call it at boot. */
export async function startInternalScheduler(queues: TQueues, logger: Logger): Promise<void> {
  for (const schedule of SCHEDULES) {
    const definition = JOB_DEFINITIONS[schedule.name];
    const data = definition.schema.parse(schedule.data);
    await queues
      .get(schedule.name)
      .upsertJobScheduler(
        schedule.id,
        { pattern: schedule.pattern, tz: 'UTC' },
        { name: schedule.name, data, opts: definition.options },
      );
  }
  logger.info(
    { schedules: SCHEDULES.map((schedule) => `${schedule.id} (${schedule.pattern})`) },
    'internal scheduler on',
  );
}
