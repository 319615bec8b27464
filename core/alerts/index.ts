// The alerts feature's public module: alerts, their evaluation and their events.
export * from './alerts.service.ts';
export { ALERT_KINDS, ALERT_METRICS, type TAlertKind, type TAlertMetric } from './rules.ts';
export type { TAlertEventRecord, TAlertRecord } from './alerts.repository.ts';

/** The Redis channel an owner's alert events are published on (live streams subscribe to it). */
export const alertChannel = (prefix: string, ownerId: string) => `${prefix}alerts:user:${ownerId}`;
export { ALERT_JOBS } from './alerts.jobs.ts';
