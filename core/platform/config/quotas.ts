import { z } from 'zod';

const count = (fallback: number, max: number, what: string) =>
  z.coerce.number().int().min(1).max(max).default(fallback).describe(what);

/**
 * Per-user and per-resource quotas (part of the one config object: env.ts spreads this shape in). Each
 * is enforced by its service under a lock per owner, so racing requests cannot pass it; past one the
 * answer is a 409 problem naming the quota (docs/reliability.md lists them).
 */
export const QUOTA_SHAPE = {
  PORTFOLIOS_PER_USER: count(100, 10_000, 'Portfolios one user may own'),
  TRANSACTIONS_PER_PORTFOLIO: count(50_000, 1_000_000, 'Transactions one portfolio may hold'),
  IMPORT_MAX_ROWS: count(50_000, 1_000_000, 'Data rows of one CSV import'),
  TARGETS_PER_PORTFOLIO: count(250, 250, 'Target weights of one portfolio (the API takes at most 250)'),
  LIMITS_PER_PORTFOLIO: count(50, 50, 'Risk limits of one portfolio (the API takes at most 50)'),
  ALERTS_PER_USER: count(100, 10_000, 'Alerts one user may own'),
  API_KEYS_PER_USER: count(50, 1000, 'Active API keys one user may hold'),
  REPORTS_PER_USER: count(50, 10_000, 'Reports one user may keep (queued, running or ready)'),
  REPORT_BYTES_PER_USER: count(
    512 * 1024 * 1024,
    64 * 1024 * 1024 * 1024,
    'Bytes of stored reports one user may keep',
  ),
  REPORT_SCHEDULES_PER_USER: count(20, 1000, 'Report schedules one user may keep'),
};
