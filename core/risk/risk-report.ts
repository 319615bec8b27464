import { AppError, ErrorCode } from '../platform/errors/app-error.ts';
import { checkDeadline, type TDeadline } from '../platform/deadline.ts';
import { ANNUALIZATION, type TRiskLevel, type TRiskMetrics } from './risk-math.ts';
import type { TRiskRepository } from './risk.repository.ts';
import {
  DEFAULT_BENCHMARK,
  DEFAULT_WINDOW,
  MIN_RETURNS,
  reportOf,
  returnsIn,
  windowDates,
  type TRiskQuery,
  type TRiskReport,
} from './risk-window.ts';

const isDefault = (query: TRiskQuery) =>
  query.window === DEFAULT_WINDOW && query.benchmark === DEFAULT_BENCHMARK && query.risk_free_rate === 0;

export const defaultQuery = (to?: Date): TRiskQuery => ({
  window: DEFAULT_WINDOW,
  benchmark: DEFAULT_BENCHMARK,
  risk_free_rate: 0,
  to,
});

const insufficient = (symbol: string, observations: number, dates: { from: string; to: string }) =>
  new AppError(ErrorCode.InsufficientHistory, {
    detail: `insufficient history: ${symbol} has ${observations} daily returns between ${dates.from} and ${dates.to}; at least ${MIN_RETURNS} are needed.`,
    extensions: { symbol, observations, required: MIN_RETURNS },
  });

/**
 * One coin's report, and the precomputation of default reports. Reading never writes: the stored
 * default rows (risk_metrics) are written by the compute-risk job alone, so no request, whatever its
 * `to`, can replace or load them.
 */
export function createRiskReports(deps: { risk: TRiskRepository; now: () => Date }) {
  const { risk, now } = deps;

  async function ids(symbols: string[]): Promise<Map<string, number>> {
    const found = await risk.coinsBySymbol(symbols);
    return new Map(found.map((coin) => [coin.symbol, coin.id]));
  }

  /** The stored default report, while nothing newer arrived for the coin or its benchmark since. */
  async function stored(
    coinId: number,
    symbol: string,
    dates: { from: string; to: string },
    dataLast: Date | null,
    benchmarkLast: Date | null,
  ): Promise<TRiskReport | null> {
    const row = (await risk.precomputed([coinId])).get(coinId);
    if (
      !row ||
      row.window_end !== dates.to ||
      row.data_last_timestamp.getTime() !== dataLast?.getTime() ||
      (row.benchmark_last_timestamp?.getTime() ?? null) !== (benchmarkLast?.getTime() ?? null)
    )
      return null;
    return {
      symbol,
      benchmark: row.benchmark_symbol,
      window_days: row.window_days,
      ...dates,
      observations: row.observations,
      annualization_factor: ANNUALIZATION,
      metrics: row.metrics as TRiskMetrics,
      risk_score: row.risk_score,
      risk_level: row.risk_level as TRiskLevel,
      data_last_timestamp: row.data_last_timestamp.toISOString(),
      computed_at: new Date(row.computed_at).toISOString(),
    };
  }

  return {
    /** A coin's report: the stored default one when still current, otherwise computed (and not stored). */
    async report(symbol: string, query: TRiskQuery, deadline?: TDeadline): Promise<TRiskReport> {
      const found = await ids([symbol, query.benchmark]);
      const coinId = found.get(symbol);
      const benchmarkId = found.get(query.benchmark);
      if (coinId === undefined)
        throw new AppError(ErrorCode.NotFound, { detail: `No cryptocurrency with symbol "${symbol}".` });
      if (benchmarkId === undefined) {
        throw new AppError(ErrorCode.NotFound, {
          detail: `Unknown benchmark "${query.benchmark}": no cryptocurrency with that symbol.`,
        });
      }
      const dates = windowDates(query.window, query.to ?? now());
      const [dataLast, benchmarkLast] = await Promise.all([
        risk.lastTimestamp(coinId, dates.to),
        risk.lastTimestamp(benchmarkId, dates.to),
      ]);
      if (isDefault(query)) {
        const lookup = await stored(coinId, symbol, dates, dataLast, benchmarkLast);
        if (lookup) return lookup;
      }
      checkDeadline(deadline);
      const [closes, benchmarkCloses] = await Promise.all([
        risk.dailyCloses(coinId, dates.from, dates.to),
        benchmarkId === coinId ? null : risk.dailyCloses(benchmarkId, dates.from, dates.to),
      ]);
      const observations = returnsIn(closes);
      if (observations < MIN_RETURNS) throw insufficient(symbol, observations, dates);
      checkDeadline(deadline);
      return reportOf({
        symbol,
        query,
        dates,
        closes,
        benchmarkCloses: benchmarkCloses ?? closes,
        dataLast,
        computedAt: now(),
      });
    },

    /**
     * Computes and stores the default report of each coin as of `asOf` (the compute-risk job; the only
     * writer of risk_metrics). The closes of every coin come from one query; a row that is still
     * current is left as it is.
     */
    async precompute(
      target: { symbols?: string[]; top?: number },
      asOf: Date,
    ): Promise<{ computed: number; skipped: string[] }> {
      const coins = target.symbols?.length
        ? await risk.coinsBySymbol(target.symbols)
        : (await risk.allCoins()).slice(0, target.top ?? Number.MAX_SAFE_INTEGER);
      const benchmark = (await risk.coinsBySymbol([DEFAULT_BENCHMARK]))[0];
      if (!benchmark) return { computed: 0, skipped: coins.map((coin) => coin.symbol) };
      const dates = windowDates(DEFAULT_WINDOW, asOf);
      const closes = await risk.dailyClosesOf(
        [...new Set([benchmark.id, ...coins.map((coin) => coin.id)])],
        dates.from,
        dates.to,
      );
      const current = await risk.precomputed(coins.map((coin) => coin.id));
      const benchmarkCloses = closes.get(benchmark.id);
      const skipped: string[] = [];
      for (const coin of coins) {
        const own = closes.get(coin.id);
        if (!own || returnsIn(own.closes) < MIN_RETURNS) {
          skipped.push(coin.symbol);
          continue;
        }
        const row = current.get(coin.id);
        const benchmarkLast = benchmarkCloses?.last ?? null;
        if (
          row &&
          row.window_end === dates.to &&
          row.data_last_timestamp.getTime() === own.last.getTime() &&
          (row.benchmark_last_timestamp?.getTime() ?? null) === (benchmarkLast?.getTime() ?? null)
        )
          continue;
        const report = reportOf({
          symbol: coin.symbol,
          query: defaultQuery(asOf),
          dates,
          closes: own.closes,
          benchmarkCloses: benchmarkCloses?.closes ?? [],
          dataLast: own.last,
          computedAt: now(),
        });
        await risk.savePrecomputed({
          cryptocurrency_id: coin.id,
          window_days: DEFAULT_WINDOW,
          benchmark_symbol: DEFAULT_BENCHMARK,
          window_end: dates.to,
          observations: report.observations,
          metrics: report.metrics,
          risk_score: report.risk_score,
          risk_level: report.risk_level,
          data_last_timestamp: own.last,
          benchmark_last_timestamp: benchmarkLast,
          computed_at: report.computed_at,
        });
      }
      return { computed: coins.length - skipped.length, skipped };
    },
  };
}
