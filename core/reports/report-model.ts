/**
 * The plain data the report renderers take (core/reports/render.ts): one model per report kind. Every
 * amount is an exact decimal string (as the API answers it), every date an ISO 8601 string (`YYYY-MM-DD`
 * for days, full UTC timestamps for moments), every ratio a plain number (0.05 = 5 %). The models are
 * built from the portfolios' and risk engine's own answers (their types are taken from the services
 * through each feature's index.ts), so the report shows exactly what the API answers for the same
 * portfolio. Long tables (transactions, disposals, audit rows) are `TReportRows`: an array or an async
 * iterable the renderers read once, in order, so 10,000 rows stream from the database to the output.
 *
 * The small pure helpers (model-helpers.ts, exported from here too: term of a holding, drawdown path,
 * gains by month, the realized gains model from the `realized` answer) are what a job needs to fill
 * the models from the answers.
 */
import type { TAuditRow } from '../audit/index.ts';
import type { TCostBasisMethod, TPortfoliosService, TTransactionRecord } from '../portfolios/index.ts';
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

// The helpers that fill the models from the answers.
export * from './model-helpers.ts';
