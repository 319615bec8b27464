import { z } from 'zod';
import { defineJob, KEEP, MINUTE, ZAsOf } from '../platform/jobs/index.ts';
import type { TReportsService } from './reports.service.ts';

type TDeps = { reports: TReportsService };

/** The reports feature's jobs and their handlers. */
export const REPORT_JOBS = [
  defineJob({
    name: 'render-report',
    schema: z.strictObject({ report_id: z.uuid(), as_of: ZAsOf }),
    // One job per report, however often it is enqueued (a schedule's run, a retry of the request).
    windowMs: 1,
    jobId: (payload) => `render-report-${payload.report_id}`,
    concurrency: 2,
    options: KEEP,
    handle: (payload, run, { reports }: TDeps) => reports.render(payload.report_id, run.progress),
  }),
  defineJob({
    name: 'run-report-schedules',
    schema: z.strictObject({ as_of: ZAsOf }),
    // Hourly: a run that was missed (the worker down at the hour) is made by the next one, which makes
    // every period closed since each schedule's last.
    windowMs: 60 * MINUTE,
    jobId: (_payload, window) => `run-report-schedules-${window}`,
    concurrency: 1,
    options: KEEP,
    handle: (payload, _run, { reports }: TDeps) => reports.runSchedules(new Date(payload.as_of)),
  }),
  defineJob({
    name: 'cleanup-reports',
    schema: z.strictObject({
      batch_size: z.number().int().min(10).max(10_000).default(500),
      as_of: ZAsOf,
    }),
    windowMs: 60 * MINUTE,
    jobId: (_payload, window) => `cleanup-reports-${window}`,
    concurrency: 1,
    options: KEEP,
    handle: (payload, _run, { reports }: TDeps) => reports.cleanup(new Date(payload.as_of), payload.batch_size),
  }),
] as const;
