/**
 * The plain data the report renderers take (core/reports/render.ts): one model per report kind. Every
 * amount is an exact decimal string (as the API answers it), every date an ISO 8601 string (`YYYY-MM-DD`
 * for days, full UTC timestamps for moments), every ratio a plain number (0.05 = 5 %). The models are
 * built from the portfolios' and risk engine's own answers (their types are taken from the services
 * through each feature's index.ts), so the report shows exactly what the API answers for the same
 * portfolio. Long tables (transactions, disposals, audit rows) are `TReportRows`: an array or an async
 * iterable the renderers read once, in order, so 10,000 rows stream from the database to the output.
 *
 * The small pure helpers at the end (term of a holding, drawdown path, gains by month, the realized
 * gains model from the `realized` answer) are what a job needs to fill the models from the answers.
 */
import type { TAuditRow } from '../audit/index.ts';
import {
  dec,
  type TCostBasisMethod,
  type TPortfoliosService,
  type TTransactionRecord,
} from '../portfolios/index.ts';
import type { TRiskReport } from '../risk/index.ts';

// ---------------------------------------------------------------------------------------------------
// Kinds and formats

export const REPORT_KINDS = ['portfolio_statement', 'realized_gains', 'coin_risk', 'audit_export'] as const;
export type TReportKind = (typeof REPORT_KINDS)[number];

export const REPORT_FORMATS = ['csv', 'pdf'] as const;
export type TReportFormat = (typeof REPORT_FORMATS)[number];

/** Rows a renderer reads once, in order: an array, or an async iterable (a database cursor). */
export type TReportRows<T> = Iterable<T> | AsyncIterable<T>;

// ---------------------------------------------------------------------------------------------------
// The service answers the models are built from (GET …/holdings, /realized, /performance, /risk, /drift)

type TAnswer<K extends keyof TPortfoliosService> = TPortfoliosService[K] extends (
  ...args: never[]
) => Promise<infer R>
  ? R
  : never;

/** GET /portfolios/{id}/holdings?at=…: holdings with price, value and lots, cash and totals. */
export type THoldingsAnswer = TAnswer<'holdings'>;
/** GET /portfolios/{id}/realized?from&to: one row per disposal and lot, totals. */
export type TRealizedAnswer = TAnswer<'realized'>;
/** GET /portfolios/{id}/performance?from&to&benchmark: TWR, MWR, flows, the daily value series, benchmark. */
export type TPerformanceAnswer = TAnswer<'performance'>;
/** GET /portfolios/{id}/risk: the coin risk metrics on the portfolio's TWR index, concentration, correlations. */
export type TPortfolioRiskAnswer = TAnswer<'risk'>;
/** GET /portfolios/{id}/drift: current against target weights, the trades that restore them. */
export type TDriftAnswer = TAnswer<'drift'>;

// ---------------------------------------------------------------------------------------------------
// Shared parts

/** Which portfolio a report is about (from the portfolio record). */
export type TReportPortfolio = {
  id: string;
  name: string;
  /** fifo | lifo | hifo | average | specific: how disposals picked their lots. */
  cost_basis_method: TCostBasisMethod;
  /** The currency every amount is in (the platform values in USD). */
  currency: string;
};

/** An inclusive period of UTC days, `YYYY-MM-DD`. */
export type TReportPeriod = { from: string; to: string };

/** One point of a daily series of numbers (a ratio, a return or a drawdown: 0.05 = 5 %). */
export type TDailyPoint = { date: string; value: number };

// ---------------------------------------------------------------------------------------------------
// portfolio_statement

/** A transaction as listed in the statement (GET …/transactions answers these fields). */
export type TStatementTransaction = Pick<
  TTransactionRecord,
  'id' | 'type' | 'symbol' | 'quantity' | 'price' | 'fee' | 'timestamp' | 'notes' | 'external_id'
>;

export type TStatementModel = {
  portfolio: TReportPortfolio;
  /** The statement's period: holdings at the start are as of the day before `from` ends, i.e. the
   *  holdings answer `at` = `from` 00:00 UTC; holdings at the end are as of `to` 23:59:59.999 UTC. */
  period: TReportPeriod;
  /** Holdings, cash and totals at the start of the period, valued at that day's closes. */
  holdings_start: THoldingsAnswer;
  /** Holdings, cash and totals at the end of the period, valued at that day's closes (includes income and fees to date). */
  holdings_end: THoldingsAnswer;
  /** Every transaction in the period, oldest first (ledger order); read once. */
  transactions: TReportRows<TStatementTransaction>;
  /** Realized gains in the period, one row per disposal and lot (the `realized` answer for from/to). */
  realized: TRealizedAnswer;
  /** Income (staking, interest, airdrops...) and fees within the period (performance answer's `income` and `fees`). */
  income: string;
  fees: string;
  /** Performance over the period: TWR, MWR, flows, the daily value series, the benchmark and excess return. */
  performance: TPerformanceAnswer;
  /** The benchmark's cumulative return over the same days (0 on the first day), for the chart; see benchmarkSeries(). */
  benchmark_series: TDailyPoint[];
  /** Drawdown of the portfolio's TWR index from its running peak (≤ 0), per day; see drawdownSeries(). */
  drawdown: TDailyPoint[];
  /** Realized gain per calendar month of disposal (`YYYY-MM`), oldest first; see gainsByMonth(). */
  gains_by_month: { month: string; gain: string }[];
  /** The portfolio's risk metrics over the period's window, or null with the reason (too little history). */
  risk: TPortfolioRiskAnswer | null;
  risk_unavailable_reason: string | null;
  /** Allocation by current value: the end holdings' weights (cash as `USD`); see allocationOf(). */
  allocation: { symbol: string; value: string; weight: number }[];
  /** Drift from the target weights, or null when the portfolio has no targets. */
  drift: TDriftAnswer | null;
};

// ---------------------------------------------------------------------------------------------------
// realized_gains

/** Short term: held one year or less; long term: more than one year (see termOf()). */
export type TTerm = 'short' | 'long';

/** One disposal of one lot: a row of Form 8949 (columns a, b, c, d, e, h) plus what identifies it. */
export type TRealizedGainRow = {
  /** Form 8949 (a): quantity and symbol, e.g. `0.5 BTC`. */
  description: string;
  symbol: string;
  quantity: string;
  /** Form 8949 (b): the day the lot was acquired (`YYYY-MM-DD`, UTC). */
  date_acquired: string;
  /** Form 8949 (c): the day it was disposed of (`YYYY-MM-DD`, UTC). */
  date_disposed: string;
  /** Form 8949 (d): proceeds (net of the disposal's fee share). */
  proceeds: string;
  /** Form 8949 (e): cost basis (including the acquisition's fee share). */
  cost_basis: string;
  /** Form 8949 (h): gain or (negative) loss = proceeds − cost basis. */
  gain: string;
  /** By the holding period: long when disposed more than one year after acquisition. */
  term: TTerm;
  holding_days: number;
  /** A short position closed by a purchase (the acquired date is when it was opened). */
  short_position: boolean;
  lot_id: string;
  transaction_id: string;
};

export type TGainTotals = { proceeds: string; cost_basis: string; gain: string; count: number };

export type TRealizedGainsModel = {
  portfolio: TReportPortfolio;
  /** The disposal period; a tax year is `YYYY-01-01`..`YYYY-12-31`. */
  period: TReportPeriod;
  /** The tax year when the report was asked for one, otherwise null. */
  tax_year: number | null;
  /** The method that picked the lots (stated on the report). */
  cost_basis_method: TCostBasisMethod;
  /** One row per disposal and lot, in the `realized` answer's order (disposal time); read once. */
  rows: TReportRows<TRealizedGainRow>;
  /** Totals by term and overall. */
  totals: { short: TGainTotals; long: TGainTotals; all: TGainTotals };
};

// ---------------------------------------------------------------------------------------------------
// coin_risk

export type TCoinRiskEntry = {
  /** GET /cryptocurrencies/{symbol}/risk for the window and `to`: every metric, score and level. */
  report: TRiskReport;
  /** Drawdown from the running peak of the coin's closes over the window (≤ 0), per day. */
  drawdown: TDailyPoint[];
};

export type TCoinRiskModel = {
  /** Daily returns per window (e.g. 90) and its last day (`YYYY-MM-DD`). */
  window_days: number;
  to: string;
  benchmark: string;
  risk_free_rate: number;
  /** One entry per symbol, in the order asked. */
  coins: TCoinRiskEntry[];
  /** Pearson correlations of daily returns on shared dates (GET /risk/correlations); null for one symbol. */
  correlation: {
    symbols: string[];
    from: string;
    to: string;
    observations: number;
    matrix: (number | null)[][];
  } | null;
};

// ---------------------------------------------------------------------------------------------------
// audit_export

export type TAuditExportModel = {
  period: TReportPeriod;
  /** The audit rows of the period, oldest first; read once. */
  rows: TReportRows<TAuditRow>;
};

export type TReportModels = {
  portfolio_statement: TStatementModel;
  realized_gains: TRealizedGainsModel;
  coin_risk: TCoinRiskModel;
  audit_export: TAuditExportModel;
};

// ---------------------------------------------------------------------------------------------------
// Helpers to fill the models from the answers (pure)

const DAY = /^\d{4}-\d{2}-\d{2}/;
const dayOf = (iso: string): string => DAY.exec(iso)?.[0] ?? iso.slice(0, 10);

/**
 * Long term when disposed more than one year after acquisition (IRS: the holding period starts the
 * day after acquisition; a disposal on the anniversary is still short term). Calendar days in UTC;
 * an acquisition on 29 February reaches its anniversary on 1 March.
 */
export function termOf(acquiredAt: string, disposedAt: string): TTerm {
  const [year, month, day] = dayOf(acquiredAt).split('-').map(Number) as [number, number, number];
  const anniversary = new Date(Date.UTC(year + 1, month - 1, day)).toISOString().slice(0, 10);
  return dayOf(disposedAt) > anniversary ? 'long' : 'short';
}

const totalsOf = (rows: readonly TRealizedGainRow[]): TGainTotals => {
  let proceeds = dec(0);
  let cost = dec(0);
  let gain = dec(0);
  for (const row of rows) {
    proceeds = proceeds.plus(row.proceeds);
    cost = cost.plus(row.cost_basis);
    gain = gain.plus(row.gain);
  }
  return { proceeds: plain(proceeds), cost_basis: plain(cost), gain: plain(gain), count: rows.length };
};

const plain = (value: ReturnType<typeof dec>): string => {
  const text = value.toDecimalPlaces(18).toFixed();
  return text === '-0' ? '0' : text;
};

/** One disposal of the `realized` answer as a realized-gains row. */
export const realizedGainRow = (disposal: TRealizedAnswer['disposals'][number]): TRealizedGainRow => ({
  description: `${disposal.quantity} ${disposal.symbol}`,
  symbol: disposal.symbol,
  quantity: disposal.quantity,
  date_acquired: dayOf(disposal.acquired_at),
  date_disposed: dayOf(disposal.disposed_at),
  proceeds: disposal.proceeds,
  cost_basis: disposal.cost,
  gain: disposal.gain,
  term: termOf(disposal.acquired_at, disposal.disposed_at),
  holding_days: disposal.holding_days,
  short_position: disposal.short,
  lot_id: disposal.lot_id,
  transaction_id: disposal.transaction_id,
});

/** The realized-gains model from the `realized` answer for the same period: its rows one for one. */
export function realizedGainsModel(input: {
  portfolio: TReportPortfolio;
  period: TReportPeriod;
  tax_year?: number | null;
  realized: TRealizedAnswer;
}): TRealizedGainsModel {
  const rows = input.realized.disposals.map(realizedGainRow);
  return {
    portfolio: input.portfolio,
    period: input.period,
    tax_year: input.tax_year ?? null,
    cost_basis_method: input.realized.cost_basis_method,
    rows,
    totals: {
      short: totalsOf(rows.filter((row) => row.term === 'short')),
      long: totalsOf(rows.filter((row) => row.term === 'long')),
      all: totalsOf(rows),
    },
  };
}

/** Drawdown from the running peak (value / peak − 1, ≤ 0) of a daily series of positive levels. */
export function drawdownSeries(levels: readonly { date: string; value: number }[]): TDailyPoint[] {
  let peak = -Infinity;
  return levels.map(({ date, value }) => {
    peak = Math.max(peak, value);
    return { date, value: peak > 0 ? value / peak - 1 : 0 };
  });
}

/** The statement's drawdown: of the TWR index (1 + cumulative TWR) of the performance series. */
export const statementDrawdown = (performance: TPerformanceAnswer): TDailyPoint[] =>
  drawdownSeries(performance.series.map((day) => ({ date: day.date, value: 1 + day.twr_cumulative })));

/**
 * The benchmark's cumulative return on each of `days` from its closes (the last close on or before
 * each day; 0 before the first close): close / first close − 1.
 */
export function benchmarkSeries(
  closes: readonly { date: string; price: string }[],
  days: readonly string[],
): TDailyPoint[] {
  const sorted = [...closes].sort((a, b) => a.date.localeCompare(b.date));
  let index = -1;
  let base: number | null = null;
  return days.map((date) => {
    while (index + 1 < sorted.length && sorted[index + 1]!.date <= date) index += 1;
    const close = index >= 0 ? Number(sorted[index]!.price) : null;
    if (close !== null && base === null) base = close;
    return { date, value: close !== null && base ? close / base - 1 : 0 };
  });
}

/** Realized gain per month of disposal (`YYYY-MM`), every month of the period listed (0 when none). */
export function gainsByMonth(
  realized: TRealizedAnswer,
  period: TReportPeriod,
): { month: string; gain: string }[] {
  const months = new Map<string, ReturnType<typeof dec>>();
  const [fy, fm] = period.from.split('-').map(Number) as [number, number];
  const [ty, tm] = period.to.split('-').map(Number) as [number, number];
  for (let y = fy, m = fm; y < ty || (y === ty && m <= tm); m === 12 ? ((y += 1), (m = 1)) : (m += 1))
    months.set(`${y}-${String(m).padStart(2, '0')}`, dec(0));
  for (const disposal of realized.disposals) {
    const month = disposal.disposed_at.slice(0, 7);
    months.set(month, (months.get(month) ?? dec(0)).plus(disposal.gain));
  }
  return [...months]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([month, gain]) => ({ month, gain: plain(gain) }));
}

/** Allocation by value from holdings: each priced coin and cash (as `USD`), weights of the total value. */
export function allocationOf(holdings: THoldingsAnswer): TStatementModel['allocation'] {
  const rows = holdings.holdings
    .filter((holding) => holding.market_value !== null)
    .map((holding) => ({ symbol: holding.symbol, value: holding.market_value! }));
  if (holdings.cash !== null) rows.push({ symbol: 'USD', value: holdings.cash });
  const total = rows.reduce((sum, row) => sum.plus(row.value), dec(0));
  return rows.map((row) => ({
    ...row,
    weight: total.isZero() ? 0 : dec(row.value).div(total).toNumber(),
  }));
}
