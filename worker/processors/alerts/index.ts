import { evaluateAlertsProcessor } from './evaluate-alerts.processor.ts';

/** Handlers of the alerts feature's jobs (core/alerts/alerts.jobs.ts). */
export const alertProcessors = { 'evaluate-alerts': evaluateAlertsProcessor };
