import {
  ANNUALIZATION,
  computeRiskMetrics,
  riskScore,
  type TRiskLevel,
  type TRiskMetrics,
} from './risk-math.ts';
import type { TDailyClose } from './risk.repository.ts';

export const DEFAULT_WINDOW = 365;
export const DEFAULT_BENCHMARK = 'BTC';
export const MIN_RETURNS = 30;

export type TRiskQuery = { window: number; to?: Date; benchmark: string; risk_free_rate: number };

export type TRiskReport = {
  symbol: string;
  benchmark: string;
  window_days: number;
  from: string;
  to: string;
  observations: number;
  annualization_factor: number;
  metrics: TRiskMetrics;
  risk_score: number;
  risk_level: TRiskLevel;
  data_last_timestamp: string;
  computed_at: string;
};

const DAY_MS = 86_400_000;
const isoDate = (time: number) => new Date(time).toISOString().slice(0, 10);

/**
 * The closes a window of `window` daily returns ending on the UTC date of `to` needs: `window + 1`
 * calendar days, from `to − window` (the close the first return starts from) to `to`. A window counts
 * returns, as the portfolio risk window does, so that its documented minimum (30) holds the 30 returns
 * the metrics need.
 */
export function windowDates(window: number, to: Date): { from: string; to: string } {
  const end = Date.UTC(to.getUTCFullYear(), to.getUTCMonth(), to.getUTCDate());
  return { from: isoDate(end - window * DAY_MS), to: isoDate(end) };
}

/** Mean 24 h volume over mean market cap, on the closes that have both; null when none has. */
export function liquidityRatio(closes: TDailyClose[]): number | null {
  const known = closes.filter(
    (close) => close.total_volume !== null && close.market_cap !== null && close.market_cap > 0,
  );
  if (!known.length) return null;
  const volume = known.reduce((sum, close) => sum + close.total_volume!, 0) / known.length;
  const cap = known.reduce((sum, close) => sum + close.market_cap!, 0) / known.length;
  return volume / cap;
}

export const returnsIn = (closes: TDailyClose[]) => Math.max(0, closes.length - 1);

/** The report of one coin's window (callers check there are at least MIN_RETURNS returns). */
export function reportOf(input: {
  symbol: string;
  query: TRiskQuery;
  dates: { from: string; to: string };
  closes: TDailyClose[];
  benchmarkCloses: TDailyClose[];
  dataLast: Date | null;
  computedAt: Date;
}): TRiskReport {
  const metrics = computeRiskMetrics({
    closes: input.closes,
    benchmarkCloses: input.benchmarkCloses,
    riskFreeRate: input.query.risk_free_rate,
    liquidityRatio: liquidityRatio(input.closes),
  });
  return {
    symbol: input.symbol,
    benchmark: input.query.benchmark,
    window_days: input.query.window,
    ...input.dates,
    observations: returnsIn(input.closes),
    annualization_factor: ANNUALIZATION,
    metrics,
    ...riskScore(metrics),
    data_last_timestamp: input.dataLast?.toISOString() ?? '',
    computed_at: input.computedAt.toISOString(),
  };
}
