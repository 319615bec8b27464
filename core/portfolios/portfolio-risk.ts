import {
  align,
  computeRiskMetrics,
  correlation,
  riskScore,
  simpleReturns,
  type TClose,
} from '../risk/index.ts';
import { AppError, ErrorCode } from '../platform/errors/app-error.ts';
import type { THoldings } from './holdings.ts';
import { dailyTwr, type dailyValues, type TDailyCloses } from './performance.ts';

const MIN_RETURNS = 30;
const MAX_MATRIX = 25;

/**
 * The coin risk metrics (same names and definitions, docs/risk-methodology.md) on the portfolio's
 * daily TWR returns: the returns are chained into an index (1 on the day before the first invested
 * day), which then stands where a coin's closes would. Plus concentration of the current holdings
 * (Herfindahl-Hirschman index of their weights, its effective number of holdings, the top weight)
 * and the correlation matrix of the largest holdings' daily returns over the window.
 */
export function portfolioRisk(input: {
  valuation: ReturnType<typeof dailyValues>;
  closes: TDailyCloses;
  holdings: THoldings;
  benchmark: string;
  riskFreeRate: number;
  window: number;
}) {
  const { start, days } = input.valuation;
  const returns = dailyTwr(start.value, days);
  // Days before anything was invested carry no return: the index starts where the money does.
  let first = 0;
  let previous = start.value;
  while (first < days.length && previous.plus(days[first]!.inflow).isZero()) {
    previous = days[first]!.value;
    first += 1;
  }
  const used = returns.slice(first);
  if (used.length < MIN_RETURNS) {
    throw new AppError(ErrorCode.InsufficientHistory, {
      detail: `The portfolio has ${used.length} daily returns in this window; risk needs at least ${MIN_RETURNS}.`,
      extensions: { observations: used.length, required: MIN_RETURNS },
    });
  }
  const indexCloses: TClose[] = [{ date: first === 0 ? start.date : days[first - 1]!.date, price: 1 }];
  for (let index = first; index < days.length; index += 1) {
    indexCloses.push({ date: days[index]!.date, price: indexCloses.at(-1)!.price * (1 + returns[index]!) });
  }
  const numbers = (symbol: string): TClose[] =>
    (input.closes.get(symbol) ?? [])
      .filter((close) => close.date >= indexCloses[0]!.date)
      .map((close) => ({ date: close.date, price: close.price.toNumber() }));
  const metrics = computeRiskMetrics({
    closes: indexCloses,
    benchmarkCloses: numbers(input.benchmark),
    riskFreeRate: input.riskFreeRate,
    liquidityRatio: null,
  });

  const weighted = input.holdings.holdings
    .filter((holding) => holding.market_value !== null && Number(holding.market_value) !== 0)
    .map((holding) => ({ symbol: holding.symbol, value: Math.abs(Number(holding.market_value)) }));
  const invested = weighted.reduce((total, holding) => total + holding.value, 0);
  const weights = weighted.map((holding) => ({ symbol: holding.symbol, weight: holding.value / invested }));
  const hhi = weights.reduce((total, holding) => total + holding.weight ** 2, 0);
  const top = weights.reduce<{ symbol: string; weight: number } | null>(
    (best, holding) => (!best || holding.weight > best.weight ? holding : best),
    null,
  );
  const matrixSymbols = [...weights]
    .sort((a, b) => b.weight - a.weight)
    .slice(0, MAX_MATRIX)
    .map((h) => h.symbol)
    .sort();
  const series = new Map(matrixSymbols.map((symbol) => [symbol, simpleReturns(numbers(symbol))]));
  const matrix = matrixSymbols.map((a) =>
    matrixSymbols.map((b) => (a === b ? 1 : correlation(...align(series.get(a)!, series.get(b)!)))),
  );
  return {
    window: input.window,
    from: indexCloses[0]!.date,
    to: days.at(-1)!.date,
    observations: used.length,
    benchmark: input.benchmark,
    metrics,
    ...riskScore(metrics),
    concentration: {
      holdings: weights.length,
      hhi: weights.length ? hhi : null,
      effective_n: weights.length ? 1 / hhi : null,
      top_symbol: top?.symbol ?? null,
      top_weight: top?.weight ?? null,
    },
    correlations: { symbols: matrixSymbols, matrix },
  };
}
