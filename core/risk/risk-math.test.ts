import { describe, expect, test } from '@jest/globals';
import { withContext } from '../../test/expect-context.ts';
import {
  computeRiskMetrics,
  correlation,
  historicalCvar,
  historicalVar,
  maxDrawdown,
  percentile,
  riskScore,
  simpleReturns,
  type TClose,
  type TRiskMetrics,
} from './risk-math.ts';

// Expected values: scripts/risk-reference.py (numpy percentile/std ddof=1, empyrical formulas) on the
// same series. Relative tolerance 1e-9 covers summation order (numpy sums pairwise).
function close(actual: number | null, expected: number | null, what: string): void {
  if (expected === null) return withContext(what, () => expect(actual).toBe(null));
  withContext(`${what} is null`, () => expect(actual).not.toBeNull());
  withContext(`${what}: ${actual} != ${expected}`, () =>
    expect(Math.abs(actual! - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected))),
  );
}
function closeAll(actual: TRiskMetrics, expected: Record<string, number | null>): void {
  for (const [key, value] of Object.entries(expected))
    close(actual[key as keyof TRiskMetrics] as number | null, value, key);
}

const day = (index: number) => new Date(Date.UTC(2024, 0, 1 + index)).toISOString().slice(0, 10);
// A trend, a cycle and a 30% crash on day 30 (same formula as fixed_series() in the reference script).
const prices = Array.from(
  { length: 45 },
  (_, i) => 100 * (1 + 0.002 * i) * (1 + 0.05 * Math.sin(i / 3)) * (i >= 30 ? 0.7 : 1),
);
const bench = Array.from({ length: 45 }, (_, i) => 50 * (1 + 0.001 * i) * (1 + 0.03 * Math.cos(i / 4)));
const series = (values: number[], dates = values.map((_, i) => day(i))): TClose[] =>
  values.map((price, i) => ({ date: dates[i]!, price }));

describe('risk metrics against the numpy/empyrical reference', () => {
  test('When the fixed series is measured against its benchmark, then every metric matches', () => {
    const metrics = computeRiskMetrics({
      closes: series(prices),
      benchmarkCloses: series(bench),
      riskFreeRate: 0,
      liquidityRatio: null,
    });
    closeAll(metrics, {
      volatility_daily: 0.04850847326260536,
      volatility_annualized: 0.926753080420102,
      return_total: -0.20553468022777777,
      return_annualized: -0.8517221637028649,
      max_drawdown: -0.3554618522059696,
      var_95: 0.014432804576154565,
      cvar_95: 0.11287465047274148,
      parametric_var_95: 0.08356784791069556,
      var_99: 0.18268551339606984,
      cvar_99: 0.3094832738803118,
      parametric_var_99: 0.11662609337424958,
      sharpe_ratio: -1.4881591218065917,
      sortino_ratio: -1.5336436030481315,
      calmar_ratio: -2.3961000552299523,
      beta: 2.5828196313017995,
      correlation_to_benchmark: 0.2833607479206038,
      alpha_annualized: -0.815155041302909,
    });
  });

  test('When a 5% annual risk-free rate is given, then Sharpe, Sortino and alpha use (1 + rf)^(1/365) - 1 per day', () => {
    const metrics = computeRiskMetrics({
      closes: series(prices),
      benchmarkCloses: series(bench),
      riskFreeRate: 0.05,
      liquidityRatio: null,
    });
    closeAll(metrics, {
      sharpe_ratio: -1.5408089875338333,
      sortino_ratio: -1.5868916904133932,
      alpha_annualized: -0.8002436439870193,
      volatility_daily: 0.04850847326260536,
    });
  });

  test('When the benchmark misses days, then beta and correlation use only the dates both have', () => {
    const dates = prices.map((_, i) => day(i));
    const keep = bench.map((_, i) => i).filter((i) => ![10, 11, 25].includes(i));
    const metrics = computeRiskMetrics({
      closes: series(prices, dates),
      benchmarkCloses: keep.map((i) => ({ date: dates[i]!, price: bench[i]! })),
      riskFreeRate: 0,
      liquidityRatio: null,
    });
    closeAll(metrics, {
      beta: 2.4708213182753673,
      correlation_to_benchmark: 0.2757429714269204,
      alpha_annualized: -0.781012150148751,
    });
  });
});

describe('edge cases', () => {
  test('When prices are constant, then risk is zero and ratios that divide by it are null', () => {
    const flat = series(Array.from({ length: 31 }, () => 100));
    const metrics = computeRiskMetrics({
      closes: flat,
      benchmarkCloses: series(bench.slice(0, 31)),
      riskFreeRate: 0,
      liquidityRatio: null,
    });
    expect(metrics.volatility_daily).toBe(0);
    expect(metrics.return_total).toBe(0);
    expect(metrics.max_drawdown).toBe(0);
    expect(metrics.max_drawdown_peak_date).toBe(null);
    expect(metrics.var_95).toBe(0);
    expect(metrics.cvar_99).toBe(0);
    expect(metrics.parametric_var_95).toBe(0);
    expect(metrics.sharpe_ratio).toBe(null);
    expect(metrics.sortino_ratio).toBe(null);
    expect(metrics.calmar_ratio).toBe(null);
    expect(metrics.beta).toBe(0); // a flat asset does not move with the benchmark
    expect(metrics.correlation_to_benchmark).toBe(null); // correlation with a constant is undefined
    const both = computeRiskMetrics({
      closes: flat,
      benchmarkCloses: flat,
      riskFreeRate: 0,
      liquidityRatio: null,
    });
    expect(both.beta).toBe(null);
  });

  test('When a single day crashes 50% and never recovers, then the drawdown names peak, trough and no recovery', () => {
    const values = [...Array.from({ length: 20 }, () => 100), ...Array.from({ length: 11 }, () => 50)];
    const result = maxDrawdown(series(values));
    expect(result).toStrictEqual({
      max_drawdown: -0.5,
      peak_date: day(19),
      trough_date: day(20),
      recovery_date: null,
    });
    const returns = simpleReturns(series(values)).map((point) => point.value);
    // 30 returns, one of -50%: position (n-1)·p = 1.45 for p = 5%, 0.29 for p = 1%.
    expect(historicalVar(returns, 0.95)).toBe(0); // the 5th percentile lies between two zero returns
    close(historicalVar(returns, 0.99), 0.5 * (1 - (29 * 0.01 - 0)), 'var_99 = -(x0 + 0.29 (x1 - x0))');
    expect(historicalCvar(returns, 0.99)).toBe(0.5); // k = floor(29 · 0.01) + 1 = 1: the crash alone
    expect(historicalCvar(returns, 0.95)).toBe(0.5 / 2); // k = floor(29 · 0.05) + 1 = 2
  });

  test('When prices fall and come back, then the recovery date is the first close back at the peak', () => {
    const result = maxDrawdown(series([10, 12, 9, 6, 8, 12, 13]));
    expect(result).toStrictEqual({
      max_drawdown: -0.5,
      peak_date: day(1),
      trough_date: day(3),
      recovery_date: day(5),
    });
  });

  test('When days are missing, then returns span the gap and are not filled', () => {
    const gapped: TClose[] = [
      { date: '2024-01-01', price: 100 },
      { date: '2024-01-02', price: 110 },
      { date: '2024-01-05', price: 99 },
    ];
    expect(
      simpleReturns(gapped).map((point) => [point.date, Math.round(point.value * 1e12) / 1e12]),
    ).toStrictEqual([
      ['2024-01-02', 0.1],
      ['2024-01-05', -0.1],
    ]);
  });

  test('When numpy interpolates a percentile, then ours agrees on order statistics and between them', () => {
    const values = [5, 1, 4, 2, 3];
    expect(percentile(values, 0)).toBe(1);
    expect(percentile(values, 100)).toBe(5);
    expect(percentile(values, 50)).toBe(3);
    expect(percentile(values, 10)).toBe(1.4);
    expect(correlation([1, 2, 3], [2, 4, 6])).toBe(1);
  });
});

describe('risk score', () => {
  test('When components are at their caps or zero, then the score and level follow the documented weights', () => {
    expect(
      riskScore({ volatility_annualized: 0, max_drawdown: 0, var_95: 0, liquidity_ratio: 0.5 }),
    ).toStrictEqual({ risk_score: 0, risk_level: 'low' });
    expect(
      riskScore({ volatility_annualized: 3, max_drawdown: -0.95, var_95: 0.2, liquidity_ratio: 0 }),
    ).toStrictEqual({ risk_score: 100, risk_level: 'very_high' });
    const mid = riskScore({
      volatility_annualized: 0.75,
      max_drawdown: -0.45,
      var_95: 0.05,
      liquidity_ratio: null,
    });
    expect(mid.risk_score).toBe(50);
    expect(mid.risk_level).toBe('high');
  });
});
