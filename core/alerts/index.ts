// The alerts feature's public module: alerts, their evaluation and their events.
export * from './alerts.service.ts';
export { ALERT_KINDS, ALERT_METRICS, type TAlertKind, type TAlertMetric } from './rules.ts';
export type { TAlertEventRecord, TAlertRecord } from './alerts.repository.ts';
export { alertChannel } from './channel.ts';
export { ALERT_JOBS } from './alerts.jobs.ts';

import { CreateAlerts1733443200000 } from './migrations/1733443200000-create-alerts.ts';

/** The feature's schema, oldest first (core/features.ts runs every feature's). */
export const ALERT_MIGRATIONS = [CreateAlerts1733443200000];
