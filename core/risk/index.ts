// The risk feature's public module (the metric functions, the service and its repository).
export * from './risk-math.ts';
export * from './risk-window.ts';
export * from './rankings.ts';
export * from './risk.service.ts';
export * from './risk.repository.ts';
export * from './risk.jobs.ts';

import { CreateRiskMetrics1732492800000 } from './migrations/1732492800000-create-risk-metrics.ts';
import { ResetRiskMetrics1733529600000 } from './migrations/1733529600000-reset-risk-metrics.ts';

/** The feature's schema, oldest first (core/features.ts runs every feature's). */
export const RISK_MIGRATIONS = [CreateRiskMetrics1732492800000, ResetRiskMetrics1733529600000];
