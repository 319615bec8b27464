/**
 * Risk statistics as the standard quant libraries define them (numpy, empyrical). Pure functions on
 * plain arrays: no I/O, no dates beyond labels. docs/risk-methodology.md gives every formula.
 */

export const ANNUALIZATION = 365;
/** Standard normal quantiles z_{0.05} and z_{0.01} (scipy.stats.norm.ppf). */
export const Z = { 0.95: -1.6448536269514722, 0.99: -2.3263478740408408 } as const;

export type TClose = { date: string; price: number };
export type TReturn = { date: string; value: number };

export const mean = (values: number[]): number =>
  values.reduce((sum, value) => sum + value, 0) / values.length;

/** Sample standard deviation (n - 1), as numpy.std(ddof=1) and pandas. */
export function sampleStd(values: number[]): number {
  if (values.length < 2) return NaN;
  const average = mean(values);
  return Math.sqrt(values.reduce((sum, value) => sum + (value - average) ** 2, 0) / (values.length - 1));
}

/** Simple returns between consecutive closes; a missing day is not filled (the return spans the gap). */
export function simpleReturns(closes: TClose[]): TReturn[] {
  const returns: TReturn[] = [];
  for (let index = 1; index < closes.length; index += 1) {
    returns.push({ date: closes[index]!.date, value: closes[index]!.price / closes[index - 1]!.price - 1 });
  }
  return returns;
}

/** numpy.percentile with the default linear interpolation between order statistics; p in [0, 100]. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = ((sorted.length - 1) * p) / 100;
  const lower = Math.floor(position);
  const upper = Math.min(lower + 1, sorted.length - 1);
  return sorted[lower]! + (position - lower) * (sorted[upper]! - sorted[lower]!);
}

/** One-day historical VaR at confidence c, as a positive loss fraction. */
// Losses are reported as 0 - x rather than -x so that no loss is 0, never -0.
export const historicalVar = (returns: number[], confidence: 0.95 | 0.99): number =>
  0 - percentile(returns, 100 * (1 - confidence));

/** One-day historical CVaR: the mean of the lowest k returns, k = floor((n - 1)(1 - c)) + 1. */
export function historicalCvar(returns: number[], confidence: 0.95 | 0.99): number {
  const sorted = [...returns].sort((a, b) => a - b);
  const k = Math.floor((sorted.length - 1) * (1 - confidence)) + 1;
  return 0 - mean(sorted.slice(0, k));
}

/** One-day parametric (Gaussian) VaR: -(mean + z_{1-c} · std). */
export const parametricVar = (returns: number[], confidence: 0.95 | 0.99): number =>
  0 - (mean(returns) + Z[confidence] * sampleStd(returns));

/** Annual risk-free rate turned into a daily one: (1 + rf)^(1/365) - 1. */
export const dailyRiskFree = (annual: number): number => (1 + annual) ** (1 / ANNUALIZATION) - 1;

export type TDrawdown = {
  max_drawdown: number;
  peak_date: string | null;
  trough_date: string | null;
  recovery_date: string | null;
};

/** Worst fall from a running peak, with the peak, the trough and the first close back at the peak. */
export function maxDrawdown(closes: TClose[]): TDrawdown {
  let peak = closes[0]!;
  let worst = 0;
  let worstPeak: TClose | null = null;
  let trough: TClose | null = null;
  for (const close of closes) {
    if (close.price >= peak.price) peak = close; // the last close at the peak, as empyrical reports it
    const drawdown = close.price / peak.price - 1;
    if (drawdown < worst) {
      worst = drawdown;
      worstPeak = peak;
      trough = close;
    }
  }
  if (!trough || !worstPeak)
    return { max_drawdown: 0, peak_date: null, trough_date: null, recovery_date: null };
  const after = closes.slice(closes.indexOf(trough) + 1);
  const recovery = after.find((close) => close.price >= worstPeak.price) ?? null;
  return {
    max_drawdown: worst,
    peak_date: worstPeak.date,
    trough_date: trough.date,
    recovery_date: recovery?.date ?? null,
  };
}

/** Sharpe ratio of daily returns, annualised: mean(r - rf) / std(r - rf) · sqrt(365). */
export function sharpeRatio(returns: number[], rfDaily: number): number | null {
  const excess = returns.map((value) => value - rfDaily);
  const deviation = sampleStd(excess);
  return deviation > 0 ? (mean(excess) / deviation) * Math.sqrt(ANNUALIZATION) : null;
}

/** Sortino ratio as empyrical: mean(r - rf) · 365 / (sqrt(mean(min(r - rf, 0)²)) · sqrt(365)). */
export function sortinoRatio(returns: number[], rfDaily: number): number | null {
  const excess = returns.map((value) => value - rfDaily);
  const downside = Math.sqrt(mean(excess.map((value) => Math.min(value, 0) ** 2))) * Math.sqrt(ANNUALIZATION);
  return downside > 0 ? (mean(excess) * ANNUALIZATION) / downside : null;
}

/** Pairs two return series on the dates both have. */
export function align(a: TReturn[], b: TReturn[]): [number[], number[]] {
  const other = new Map(b.map((point) => [point.date, point.value]));
  const left: number[] = [];
  const right: number[] = [];
  for (const point of a) {
    const value = other.get(point.date);
    if (value === undefined) continue;
    left.push(point.value);
    right.push(value);
  }
  return [left, right];
}

function covariance(a: number[], b: number[]): number {
  const [meanA, meanB] = [mean(a), mean(b)];
  return a.reduce((sum, value, index) => sum + (value - meanA) * (b[index]! - meanB), 0) / (a.length - 1);
}

/** Pearson correlation; null when either series is constant or shorter than 2. */
export function correlation(a: number[], b: number[]): number | null {
  if (a.length < 2) return null;
  const denominator = sampleStd(a) * sampleStd(b);
  return denominator > 0 ? covariance(a, b) / denominator : null;
}

/** Beta = cov(r, b) / var(b); alpha annualised = (1 + mean(r - rf - beta (b - rf)))^365 - 1. */
export function betaAlpha(
  asset: number[],
  benchmark: number[],
  rfDaily: number,
): { beta: number | null; alpha_annualized: number | null } {
  if (asset.length < 2) return { beta: null, alpha_annualized: null };
  const variance = sampleStd(benchmark) ** 2;
  if (!(variance > 0)) return { beta: null, alpha_annualized: null };
  const beta = covariance(asset, benchmark) / variance;
  const alphaDaily = mean(
    asset.map((value, index) => value - rfDaily - beta * (benchmark[index]! - rfDaily)),
  );
  return { beta, alpha_annualized: (1 + alphaDaily) ** ANNUALIZATION - 1 };
}

export type TRiskMetrics = {
  volatility_daily: number;
  volatility_annualized: number;
  return_total: number;
  return_annualized: number;
  max_drawdown: number;
  max_drawdown_peak_date: string | null;
  max_drawdown_trough_date: string | null;
  max_drawdown_recovery_date: string | null;
  var_95: number;
  var_99: number;
  cvar_95: number;
  cvar_99: number;
  parametric_var_95: number;
  parametric_var_99: number;
  sharpe_ratio: number | null;
  sortino_ratio: number | null;
  calmar_ratio: number | null;
  beta: number | null;
  alpha_annualized: number | null;
  correlation_to_benchmark: number | null;
  liquidity_ratio: number | null;
};

export type TRiskInput = {
  closes: TClose[];
  benchmarkCloses: TClose[];
  riskFreeRate: number;
  liquidityRatio: number | null;
};

/** Every metric of one asset over one window. Callers ensure at least 2 closes. */
export function computeRiskMetrics(input: TRiskInput): TRiskMetrics {
  const { closes } = input;
  const returns = simpleReturns(closes);
  const values = returns.map((point) => point.value);
  const rf = dailyRiskFree(input.riskFreeRate);
  const volatility = sampleStd(values);
  const total = closes[closes.length - 1]!.price / closes[0]!.price - 1;
  const annualized = (1 + total) ** (ANNUALIZATION / values.length) - 1;
  const drawdown = maxDrawdown(closes);
  const [asset, benchmark] = align(returns, simpleReturns(input.benchmarkCloses));
  const { beta, alpha_annualized } = betaAlpha(asset, benchmark, rf);
  return {
    volatility_daily: volatility,
    volatility_annualized: volatility * Math.sqrt(ANNUALIZATION),
    return_total: total,
    return_annualized: annualized,
    max_drawdown: drawdown.max_drawdown,
    max_drawdown_peak_date: drawdown.peak_date,
    max_drawdown_trough_date: drawdown.trough_date,
    max_drawdown_recovery_date: drawdown.recovery_date,
    var_95: historicalVar(values, 0.95),
    var_99: historicalVar(values, 0.99),
    cvar_95: historicalCvar(values, 0.95),
    cvar_99: historicalCvar(values, 0.99),
    parametric_var_95: parametricVar(values, 0.95),
    parametric_var_99: parametricVar(values, 0.99),
    sharpe_ratio: sharpeRatio(values, rf),
    sortino_ratio: sortinoRatio(values, rf),
    calmar_ratio: drawdown.max_drawdown < 0 ? annualized / Math.abs(drawdown.max_drawdown) : null,
    beta,
    alpha_annualized,
    correlation_to_benchmark: correlation(asset, benchmark),
    liquidity_ratio: input.liquidityRatio,
  };
}

export const RISK_LEVELS = ['low', 'medium', 'high', 'very_high'] as const;
export type TRiskLevel = (typeof RISK_LEVELS)[number];

const clamp = (value: number) => Math.max(0, Math.min(100, value));

/**
 * Composite 0–100 score: 35% volatility (150% a year scores 100), 25% drawdown (-90% scores 100),
 * 25% one-day VaR 95 (10% scores 100), 15% illiquidity (daily volume/market cap of 10% or more scores
 * 0; unknown scores 50). Levels: < 25 low, < 50 medium, < 75 high, else very_high.
 */
export function riskScore(
  metrics: Pick<TRiskMetrics, 'volatility_annualized' | 'max_drawdown' | 'var_95' | 'liquidity_ratio'>,
): {
  risk_score: number;
  risk_level: TRiskLevel;
} {
  const volatility = clamp((metrics.volatility_annualized / 1.5) * 100);
  const drawdown = clamp((Math.abs(metrics.max_drawdown) / 0.9) * 100);
  const tail = clamp((metrics.var_95 / 0.1) * 100);
  const illiquidity =
    metrics.liquidity_ratio === null ? 50 : clamp((1 - Math.min(metrics.liquidity_ratio / 0.1, 1)) * 100);
  const score = 0.35 * volatility + 0.25 * drawdown + 0.25 * tail + 0.15 * illiquidity;
  const level: TRiskLevel = score < 25 ? 'low' : score < 50 ? 'medium' : score < 75 ? 'high' : 'very_high';
  return { risk_score: score, risk_level: level };
}
