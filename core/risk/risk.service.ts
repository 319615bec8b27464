import { AppError, ErrorCode } from '../platform/errors/app-error.ts';
import {
  align,
  ANNUALIZATION,
  computeRiskMetrics,
  correlation,
  riskScore,
  simpleReturns,
  type TRiskLevel,
  type TRiskMetrics,
} from './risk-math.ts';
import type { TDailyClose, TRiskRepository } from './risk.repository.ts';

export const DEFAULT_WINDOW = 365;
export const DEFAULT_BENCHMARK = 'BTC';
export const MIN_RETURNS = 30;
export const RANKING_FIELDS = [
  'volatility_annualized',
  'max_drawdown',
  'var_95',
  'sharpe_ratio',
  'risk_score',
] as const;
export type TRankingField = (typeof RANKING_FIELDS)[number];

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

/** The window's first and last UTC dates: `window` calendar days ending on the date of `to`. */
export function windowDates(window: number, to: Date): { from: string; to: string } {
  const end = Date.UTC(to.getUTCFullYear(), to.getUTCMonth(), to.getUTCDate());
  return { from: isoDate(end - (window - 1) * DAY_MS), to: isoDate(end) };
}

function liquidityRatio(closes: TDailyClose[]): number | null {
  const known = closes.filter(
    (close) => close.total_volume !== null && close.market_cap !== null && close.market_cap > 0,
  );
  if (!known.length) return null;
  const volume = known.reduce((sum, close) => sum + close.total_volume!, 0) / known.length;
  const cap = known.reduce((sum, close) => sum + close.market_cap!, 0) / known.length;
  return volume / cap;
}

export type TRiskService = ReturnType<typeof createRiskService>;

/**
 * Risk use cases. Default-window reports (365 days, BTC, no risk-free rate) are precomputed by the
 * compute-risk job and read back as a lookup while the coin's and the benchmark's newest points are
 * the ones they were computed from; any other window is computed on demand from one query per symbol.
 */
export function createRiskService(deps: { risk: TRiskRepository; now?: () => Date }) {
  const { risk } = deps;
  const now = deps.now ?? (() => new Date());

  async function resolve(symbols: string[]): Promise<Map<string, number>> {
    const found = await risk.coinsBySymbol(symbols);
    return new Map(found.map((coin) => [coin.symbol, coin.id]));
  }

  async function compute(
    coinId: number,
    symbol: string,
    benchmarkId: number,
    benchmark: string,
    query: TRiskQuery,
    dates: { from: string; to: string },
  ) {
    const [closes, benchmarkCloses] = await Promise.all([
      risk.dailyCloses(coinId, dates.from, dates.to),
      benchmarkId === coinId ? Promise.resolve(null) : risk.dailyCloses(benchmarkId, dates.from, dates.to),
    ]);
    const observations = Math.max(0, closes.length - 1);
    if (observations < MIN_RETURNS) {
      throw new AppError(ErrorCode.InsufficientHistory, {
        detail: `insufficient history: ${symbol} has ${observations} daily returns between ${dates.from} and ${dates.to}; at least ${MIN_RETURNS} are needed.`,
        extensions: { symbol, observations, required: MIN_RETURNS },
      });
    }
    const metrics = computeRiskMetrics({
      closes,
      benchmarkCloses: benchmarkCloses ?? closes,
      riskFreeRate: query.risk_free_rate,
      liquidityRatio: liquidityRatio(closes),
    });
    const report: TRiskReport = {
      symbol,
      benchmark,
      window_days: query.window,
      from: dates.from,
      to: dates.to,
      observations,
      annualization_factor: ANNUALIZATION,
      metrics,
      ...riskScore(metrics),
      data_last_timestamp: '',
      computed_at: now().toISOString(),
    };
    return report;
  }

  const isDefault = (query: TRiskQuery) =>
    query.window === DEFAULT_WINDOW && query.benchmark === DEFAULT_BENCHMARK && query.risk_free_rate === 0;

  async function report(symbol: string, query: TRiskQuery): Promise<TRiskReport> {
    const ids = await resolve([symbol, query.benchmark]);
    const coinId = ids.get(symbol);
    const benchmarkId = ids.get(query.benchmark);
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
      const stored = (await risk.precomputed([coinId])).get(coinId);
      // Served only while nothing newer arrived for the coin or its benchmark since it was computed.
      if (
        stored &&
        stored.window_end === dates.to &&
        stored.data_last_timestamp.getTime() === dataLast?.getTime() &&
        (stored.benchmark_last_timestamp?.getTime() ?? null) === (benchmarkLast?.getTime() ?? null)
      ) {
        return {
          symbol,
          benchmark: stored.benchmark_symbol,
          window_days: stored.window_days,
          ...dates,
          observations: stored.observations,
          annualization_factor: ANNUALIZATION,
          metrics: stored.metrics as TRiskMetrics,
          risk_score: stored.risk_score,
          risk_level: stored.risk_level as TRiskLevel,
          data_last_timestamp: stored.data_last_timestamp.toISOString(),
          computed_at: new Date(stored.computed_at).toISOString(),
        };
      }
    }
    const computed = await compute(coinId, symbol, benchmarkId, query.benchmark, query, dates);
    computed.data_last_timestamp = dataLast?.toISOString() ?? '';
    if (isDefault(query) && dataLast) {
      await risk.savePrecomputed({
        cryptocurrency_id: coinId,
        window_days: query.window,
        benchmark_symbol: query.benchmark,
        window_end: dates.to,
        observations: computed.observations,
        metrics: computed.metrics,
        risk_score: computed.risk_score,
        risk_level: computed.risk_level,
        data_last_timestamp: dataLast,
        benchmark_last_timestamp: benchmarkLast,
        computed_at: computed.computed_at,
      });
    }
    return computed;
  }

  const defaults = (to?: Date): TRiskQuery => ({
    window: DEFAULT_WINDOW,
    benchmark: DEFAULT_BENCHMARK,
    risk_free_rate: 0,
    to,
  });

  return {
    report,

    /** Precomputes the default-window report of each symbol (for the compute-risk job). */
    async precompute(
      target: { symbols?: string[]; top?: number },
      asOf: Date,
    ): Promise<{ computed: number; skipped: string[] }> {
      const coins = target.symbols?.length
        ? await risk.coinsBySymbol(target.symbols)
        : (await risk.allCoins()).slice(0, target.top ?? Number.MAX_SAFE_INTEGER);
      const skipped: string[] = [];
      for (const coin of coins) {
        try {
          await report(coin.symbol, defaults(asOf));
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          skipped.push(coin.symbol);
        }
      }
      return { computed: coins.length - skipped.length, skipped };
    },

    /** Default-window reports of every coin with enough history, sorted. */
    async rankings(sortBy: TRankingField, order: 'asc' | 'desc', limit: number, to?: Date) {
      const rows: {
        symbol: string;
        value: number | null;
        risk_level: TRiskLevel;
        risk_score: number;
        observations: number;
      }[] = [];
      for (const coin of await risk.allCoins()) {
        try {
          const result = await report(coin.symbol, defaults(to));
          const value = sortBy === 'risk_score' ? result.risk_score : result.metrics[sortBy];
          rows.push({
            symbol: coin.symbol,
            value,
            risk_level: result.risk_level,
            risk_score: result.risk_score,
            observations: result.observations,
          });
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
        }
      }
      const sign = order === 'asc' ? 1 : -1;
      rows.sort((a, b) => (a.value === null ? 1 : b.value === null ? -1 : sign * (a.value - b.value)));
      const dates = windowDates(DEFAULT_WINDOW, to ?? now());
      return {
        sort_by: sortBy,
        order,
        window_days: DEFAULT_WINDOW,
        benchmark: DEFAULT_BENCHMARK,
        ...dates,
        data: rows.slice(0, limit),
      };
    },

    /** Pearson correlations of daily returns on the dates every symbol has. */
    async correlations(symbols: string[], window: number, to?: Date) {
      const ids = await resolve(symbols);
      const unknown = symbols.filter((symbol) => !ids.has(symbol));
      if (unknown.length) {
        throw new AppError(ErrorCode.NotFound, {
          detail: `No cryptocurrency with symbol ${unknown.map((symbol) => `"${symbol}"`).join(', ')}.`,
          extensions: { unknown_symbols: unknown },
        });
      }
      const dates = windowDates(window, to ?? now());
      const series = await Promise.all(
        symbols.map(async (symbol) =>
          simpleReturns(await risk.dailyCloses(ids.get(symbol)!, dates.from, dates.to)),
        ),
      );
      const short = symbols.filter((_, index) => series[index]!.length < MIN_RETURNS);
      if (short.length) {
        throw new AppError(ErrorCode.InsufficientHistory, {
          detail: `insufficient history: fewer than ${MIN_RETURNS} daily returns between ${dates.from} and ${dates.to} for ${short.join(', ')}.`,
          extensions: { symbols: short, required: MIN_RETURNS },
        });
      }
      const shared = series.reduce<Set<string>>(
        (common, returns) => new Set(returns.map((point) => point.date).filter((date) => common.has(date))),
        new Set(series[0]!.map((point) => point.date)),
      );
      const onShared = series.map((returns) => returns.filter((point) => shared.has(point.date)));
      if (shared.size < MIN_RETURNS) {
        throw new AppError(ErrorCode.InsufficientHistory, {
          detail: `insufficient history: the symbols share only ${shared.size} daily returns; at least ${MIN_RETURNS} are needed.`,
          extensions: { observations: shared.size, required: MIN_RETURNS },
        });
      }
      const matrix = onShared.map((a, i) =>
        onShared.map((b, j) => (i === j ? 1 : correlation(...align(a, b)))),
      );
      return { symbols, window_days: window, ...dates, observations: shared.size, matrix };
    },
  };
}
