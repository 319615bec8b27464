import { AppError, ErrorCode } from '../platform/errors/app-error.ts';

/**
 * The bounds every portfolio input is held to (docs/reliability.md lists them with their defaults).
 * Dates: no transaction before Bitcoin's genesis block, none more than a minute ahead of the clock; any
 * range a query asks for is clamped to [EARLIEST_DAY, today], so day loops are bounded by the calendar,
 * not by what a client sends.
 */
export const EARLIEST_DAY = '2009-01-03';
export const EARLIEST_TIME = new Date(`${EARLIEST_DAY}T00:00:00Z`);
/** How far ahead of the server's clock a transaction may be stamped (clients' clocks drift). */
export const FUTURE_ALLOWANCE_MS = 60_000;

/** Per-user and per-portfolio quotas (config: PORTFOLIOS_PER_USER, …; the defaults are the config's). */
export type TPortfolioQuotas = {
  portfoliosPerUser: number;
  transactionsPerPortfolio: number;
  importMaxRows: number;
  targetsPerPortfolio: number;
  limitsPerPortfolio: number;
};
export const DEFAULT_QUOTAS: TPortfolioQuotas = {
  portfoliosPerUser: 100,
  transactionsPerPortfolio: 50_000,
  importMaxRows: 50_000,
  targetsPerPortfolio: 250,
  limitsPerPortfolio: 50,
};

/** A quota reached: a 409 naming it and its limit (its config key is the name in capitals). */
export const quotaExceeded = (quota: string, limit: number, what: string) =>
  new AppError(ErrorCode.Conflict, {
    detail: `At most ${limit} ${what} (${quota.toUpperCase()}).`,
    extensions: { reason: 'quota_exceeded', quota, limit },
  });

/** Import files: fields per row and characters per record (a notes cell is at most 1,000). */
export const IMPORT_MAX_FIELDS = 64;
export const IMPORT_MAX_RECORD_CHARS = 65_536;
/** lot_ids of one transaction (the API's array holds as many). */
export const MAX_LOT_IDS = 1000;

/** The reason a timestamp is outside [EARLIEST_TIME, now + allowance], or null when it is inside. */
export function timestampOutOfBounds(at: Date, now: Date): string | null {
  if (at.getTime() < EARLIEST_TIME.getTime()) return `before ${EARLIEST_DAY} (the first day of Bitcoin)`;
  if (at.getTime() > now.getTime() + FUTURE_ALLOWANCE_MS) return 'in the future';
  return null;
}
