// The reports feature's public module: the service, its jobs and schema, the store; the models the
// renderers take (report-model.ts), the one render entry (render.ts) and how figures are written in the
// PDFs (format.ts).
export * from './reports.service.ts';
export { REPORT_JOBS } from './reports.jobs.ts';
export { createPostgresReportStore, REPORT_CHUNK_BYTES, type TByteRange, type TReportStore } from './report-store.ts';
export {
  REPORT_CADENCES,
  REPORT_STATUSES,
  SCHEDULED_KINDS,
  type TCadence,
  type TReportRecord,
  type TScheduleRecord,
} from './reports.repository.ts';
export * from './report-model.ts';
export * from './render.ts';
export * from './format.ts';

import { CreateReports1764806400000 } from './migrations/1764806400000-create-reports.ts';

/** The feature's schema, oldest first (core/features.ts runs every feature's). */
export const REPORT_MIGRATIONS = [CreateReports1764806400000];
