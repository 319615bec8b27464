import type { TJobName, TJobPayloads } from './features.ts';

// Every schedule, in this one file, all cron in UTC. The chart's static CronJobs (values.yaml
// cronJobs.schedules, checked by scripts/schedules.test.ts; `node scripts/schedules.ts` prints them),
// the internal scheduler (worker/scheduler.ts, SCHEDULER=internal) and the operator's feeds
// (operator/cronjobs.ts) read it. Each schedule enqueues through the trigger (`trigger <command>`)
// or the producer: what follows its job is core/workflows.ts's.

export type TSchedule = {
  /** The key under values.yaml cronJobs.schedules. */
  key: string;
  /** The BullMQ job scheduler's id (SCHEDULER=internal). */
  id: string;
  cron: string;
  job: TJobName;
  data: Partial<TJobPayloads[TJobName]>;
  /** The values.yaml comment. */
  description: string;
  /**
   * Kept when the operator runs (its feeds replace the market schedules, not the others): the chart
   * renders it with `operator.enabled` too (`withOperator: true` in values.yaml).
   */
  withOperator?: boolean;
  /**
   * Also enqueued once when the internal scheduler starts (SCHEDULER=internal), so that a run missed
   * while no worker was up is made at the next start. (With CronJobs, the trigger enqueues whether or
   * not a worker is up, and the job waits in the queue for one.)
   */
  onStart?: boolean;
};

/** The platform's own cadence: what runs without any feed. */
export const SCHEDULES: readonly TSchedule[] = [
  {
    key: 'syncTop50',
    id: 'sync-top-50',
    cron: '*/5 * * * *',
    job: 'sync-markets',
    data: { limit: 50 },
    description: 'Sync the top 50 coins.',
  },
  {
    key: 'syncTop200',
    id: 'sync-top-200',
    cron: '7 * * * *',
    job: 'sync-markets',
    data: { limit: 200 },
    description: 'Sync the top 200 coins.',
  },
  {
    key: 'cleanup',
    id: 'cleanup-daily',
    cron: '17 3 * * *',
    job: 'cleanup-history',
    data: {},
    description: 'Delete history older than the retention.',
  },
  {
    key: 'reportSchedules',
    id: 'run-report-schedules-hourly',
    cron: '41 * * * *',
    job: 'run-report-schedules',
    data: {},
    description:
      'Make the reports of every schedule period closed since its last run (missed runs included).',
    withOperator: true,
    onStart: true,
  },
  {
    key: 'reportCleanup',
    id: 'cleanup-reports-daily',
    cron: '29 3 * * *',
    job: 'cleanup-reports',
    data: {},
    description: 'Delete reports past REPORT_RETENTION_DAYS with their content.',
    withOperator: true,
  },
];

/** A feed's daily runs (operator): away from the top of the hour, when syncs cluster. */
export const FEED_SCHEDULES = { backfill: '23 2 * * *', cleanup: '17 3 * * *' } as const;

/** The trigger entrypoint's commands (worker/trigger.ts) and the job each enqueues. */
export const TRIGGER_COMMANDS = {
  sync: 'sync-markets',
  backfill: 'backfill-history',
  cleanup: 'cleanup-history',
  'report-schedules': 'run-report-schedules',
  'cleanup-reports': 'cleanup-reports',
} as const satisfies Record<string, TJobName>;

export type TTriggerCommand = keyof typeof TRIGGER_COMMANDS;

/** Payload fields the trigger takes as flags, in the order they are written. */
export const TRIGGER_FLAGS = {
  limit: '--limit',
  symbol: '--symbol',
  top: '--top',
  days: '--days',
  retention_days: '--retention-days',
  batch_size: '--batch-size',
  provider: '--provider',
} as const;

/** The trigger's arguments that enqueue `job` with `data` (a CronJob's args). */
export function triggerArgs(job: TJobName, data: Record<string, unknown>): string[] {
  const command = Object.entries(TRIGGER_COMMANDS).find(([, name]) => name === job)?.[0];
  if (!command) throw new Error(`the trigger cannot enqueue ${job}`);
  const flags = Object.entries(TRIGGER_FLAGS).flatMap(([field, flag]) =>
    data[field] === undefined ? [] : [flag, String(data[field])],
  );
  return [command, ...flags];
}

/**
 * The recurring syncs (cron and coin limit): the live ticker leaves their share of a provider's call
 * budget to them (core/market/ticks/live-cadence.ts). Operator feeds add syncs of their own.
 */
export const SYNC_CADENCES: readonly { cron: string; limit: number }[] = SCHEDULES.filter(
  (schedule) => schedule.job === 'sync-markets',
).map((schedule) => ({
  cron: schedule.cron,
  limit: (schedule.data as { limit?: number }).limit ?? 50,
}));
