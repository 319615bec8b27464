import { checkDeadline, type TDeadline } from '../platform/deadline.ts';
import { computeRiskMetrics, riskScore, type TRiskLevel } from './risk-math.ts';
import type { TRiskRepository } from './risk.repository.ts';
import {
  DEFAULT_BENCHMARK,
  DEFAULT_WINDOW,
  liquidityRatio,
  MIN_RETURNS,
  returnsIn,
  windowDates,
} from './risk-window.ts';

export const RANKING_FIELDS = [
  'volatility_annualized',
  'max_drawdown',
  'var_95',
  'sharpe_ratio',
  'risk_score',
] as const;
export type TRankingField = (typeof RANKING_FIELDS)[number];

/** One coin's default-window figures, everything a ranking can sort by. */
export type TRankingFigures = {
  symbol: string;
  observations: number;
  risk_score: number;
  risk_level: TRiskLevel;
  volatility_annualized: number;
  max_drawdown: number;
  var_95: number;
  sharpe_ratio: number | null;
};

/**
 * Where computed rankings are kept between requests (the cache Redis: droppable, so every call may
 * fail and the ranking is then computed again). `version` changes whenever stored prices change.
 */
export type TRiskCache = {
  version(): Promise<string>;
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
};

/** A day's figures stay valid until prices change (a new version); the TTL only bounds memory. */
const TTL_SECONDS = 3600;

/**
 * Rankings of every coin by a default-window metric, for any day: the closes of every coin over the
 * window come from one query, the figures of a day are computed once per market-data version (and
 * shared by every sort order and limit), kept in the cache store, and concurrent requests for the same
 * day wait for the one computation.
 */
export function createRankings(deps: { risk: TRiskRepository; cache?: TRiskCache; now: () => Date }) {
  const { risk, cache } = deps;
  const inFlight = new Map<string, Promise<TRankingFigures[]>>();

  async function compute(dates: { from: string; to: string }, deadline?: TDeadline) {
    const coins = await risk.allCoins();
    const closes = await risk.dailyClosesOf(
      coins.map((coin) => coin.id),
      dates.from,
      dates.to,
      deadline,
    );
    const benchmarkId = coins.find((coin) => coin.symbol === DEFAULT_BENCHMARK)?.id;
    const benchmark = benchmarkId === undefined ? undefined : closes.get(benchmarkId)?.closes;
    const figures: TRankingFigures[] = [];
    for (const coin of coins) {
      checkDeadline(deadline);
      const own = closes.get(coin.id)?.closes;
      if (!own || returnsIn(own) < MIN_RETURNS) continue;
      // The same function and inputs as the coin's own report, so the figures are the report's.
      const metrics = computeRiskMetrics({
        closes: own,
        benchmarkCloses: benchmark ?? own,
        riskFreeRate: 0,
        liquidityRatio: liquidityRatio(own),
      });
      figures.push({
        symbol: coin.symbol,
        observations: returnsIn(own),
        ...riskScore(metrics),
        volatility_annualized: metrics.volatility_annualized,
        max_drawdown: metrics.max_drawdown,
        var_95: metrics.var_95,
        sharpe_ratio: metrics.sharpe_ratio,
      });
    }
    return figures;
  }

  async function figuresOf(dates: { from: string; to: string }, deadline?: TDeadline) {
    const version = cache ? await cache.version().catch(() => null) : null;
    const key = `risk:rankings:${DEFAULT_WINDOW}:${DEFAULT_BENCHMARK}:${dates.to}:${version ?? 'none'}`;
    let pending = inFlight.get(key);
    if (!pending) {
      pending = (async () => {
        const kept = version === null ? null : await cache!.get(key).catch(() => null);
        if (kept) return JSON.parse(kept) as TRankingFigures[];
        const figures = await compute(dates, deadline);
        if (version !== null)
          await cache!.set(key, JSON.stringify(figures), TTL_SECONDS).catch(() => undefined);
        return figures;
      })().finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    return pending;
  }

  return {
    /** Coins with at least MIN_RETURNS returns in the default window ending on `to`, sorted. */
    async rankings(
      sortBy: TRankingField,
      order: 'asc' | 'desc',
      limit: number,
      to?: Date,
      deadline?: TDeadline,
    ) {
      const dates = windowDates(DEFAULT_WINDOW, to ?? deps.now());
      const figures = await figuresOf(dates, deadline);
      const sign = order === 'asc' ? 1 : -1;
      const rows = figures.map((row) => ({
        symbol: row.symbol,
        value: row[sortBy],
        risk_level: row.risk_level,
        risk_score: row.risk_score,
        observations: row.observations,
      }));
      rows.sort((a, b) => (a.value === null ? 1 : b.value === null ? -1 : sign * (a.value - b.value)));
      return {
        sort_by: sortBy,
        order,
        window_days: DEFAULT_WINDOW,
        benchmark: DEFAULT_BENCHMARK,
        ...dates,
        data: rows.slice(0, limit),
      };
    },
  };
}
