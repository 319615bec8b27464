/**
 * The statement as CSV: a ZIP of one CSV per table (summary, holdings at the start and the end,
 * realized gains, daily performance, gains by month, allocation, drift, risk, transactions) and a
 * README.txt naming the files and the conventions.
 */
import { csvEntry, textEntry, zipChunks, type TCsvColumn } from './csv-writer.ts';
import { README_COMMON, REALIZED_COLUMNS } from './csv-reports.ts';
import {
  realizedGainRow,
  type TDailyPoint,
  type THoldingsAnswer,
  type TStatementModel,
  type TStatementTransaction,
} from './report-model.ts';

export const TRANSACTION_COLUMNS: TCsvColumn<TStatementTransaction>[] = [
  { header: 'timestamp', kind: 'date', value: (tx) => tx.timestamp },
  { header: 'type', kind: 'text', value: (tx) => tx.type },
  { header: 'symbol', kind: 'text', value: (tx) => tx.symbol },
  { header: 'quantity', kind: 'decimal', value: (tx) => tx.quantity },
  { header: 'price', kind: 'decimal', value: (tx) => tx.price },
  { header: 'fee', kind: 'decimal', value: (tx) => tx.fee },
  { header: 'notes', kind: 'text', value: (tx) => tx.notes },
  { header: 'external_id', kind: 'text', value: (tx) => tx.external_id },
  { header: 'id', kind: 'text', value: (tx) => tx.id },
];

type THoldingRow = THoldingsAnswer['holdings'][number];
export const HOLDING_COLUMNS: TCsvColumn<THoldingRow>[] = [
  { header: 'symbol', kind: 'text', value: (h) => h.symbol },
  { header: 'quantity', kind: 'decimal', value: (h) => h.quantity },
  { header: 'price', kind: 'decimal', value: (h) => h.price },
  { header: 'market_value', kind: 'decimal', value: (h) => h.market_value },
  { header: 'cost_basis', kind: 'decimal', value: (h) => h.cost_basis },
  { header: 'average_cost', kind: 'decimal', value: (h) => h.average_cost },
  { header: 'unrealized_pnl', kind: 'decimal', value: (h) => h.unrealized_pnl },
  { header: 'weight', kind: 'number', value: (h) => h.weight },
];

/** Holdings with cash as a last row (symbol USD, quantity = value = the cash balance) when tracked. */
const holdingRows = (holdings: THoldingsAnswer): THoldingRow[] =>
  holdings.cash === null
    ? holdings.holdings
    : [
        ...holdings.holdings,
        {
          symbol: 'USD',
          quantity: holdings.cash,
          cost_basis: holdings.cash,
          average_cost: '1',
          price: '1',
          market_value: holdings.cash,
          unrealized_pnl: '0',
          unrealized_pnl_pct: null,
          weight: null,
          lots: [],
        },
      ];

type TKeyValue = { key: string; value: string | number | null; kind?: 'text' | 'decimal' | 'date' };
/** `item,value`: numbers as plain decimals, amounts as they are, text guarded (each row says which). */
const KEY_VALUE_COLUMNS: TCsvColumn<TKeyValue>[] = [
  { header: 'item', kind: 'text', value: (row) => row.key },
  {
    header: 'value',
    kind: (row) => (typeof row.value === 'number' ? 'number' : (row.kind ?? 'text')),
    value: (row) => row.value,
  },
];

type TDailyRow = {
  date: string;
  value: string;
  net_flow: string;
  twr_cumulative: number;
  benchmark_cumulative: number | null;
  drawdown: number | null;
};
const DAILY_COLUMNS: TCsvColumn<TDailyRow>[] = [
  { header: 'date', kind: 'date', value: (row) => row.date },
  { header: 'value', kind: 'decimal', value: (row) => row.value },
  { header: 'net_flow', kind: 'decimal', value: (row) => row.net_flow },
  { header: 'twr_cumulative', kind: 'number', value: (row) => row.twr_cumulative },
  { header: 'benchmark_cumulative', kind: 'number', value: (row) => row.benchmark_cumulative },
  { header: 'drawdown', kind: 'number', value: (row) => row.drawdown },
];

const byDate = (points: readonly TDailyPoint[]) => new Map(points.map((point) => [point.date, point.value]));

/** The statement's summary: the key figures, each `item,value`. */
export function statementSummary(model: TStatementModel, generatedAt: Date): TKeyValue[] {
  const p = model.performance;
  return [
    { key: 'portfolio_id', value: model.portfolio.id },
    { key: 'portfolio_name', value: model.portfolio.name },
    { key: 'currency', value: model.portfolio.currency },
    { key: 'cost_basis_method', value: model.portfolio.cost_basis_method },
    { key: 'period_from', value: model.period.from, kind: 'date' },
    { key: 'period_to', value: model.period.to, kind: 'date' },
    { key: 'value_start', value: model.holdings_start.totals.value, kind: 'decimal' },
    { key: 'value_end', value: model.holdings_end.totals.value, kind: 'decimal' },
    { key: 'inflows', value: p.inflows, kind: 'decimal' },
    { key: 'outflows', value: p.outflows, kind: 'decimal' },
    { key: 'net_flows', value: p.net_flows, kind: 'decimal' },
    { key: 'income', value: model.income, kind: 'decimal' },
    { key: 'fees', value: model.fees, kind: 'decimal' },
    { key: 'gain', value: p.gain, kind: 'decimal' },
    { key: 'realized_proceeds', value: model.realized.totals.proceeds, kind: 'decimal' },
    { key: 'realized_cost_basis', value: model.realized.totals.cost, kind: 'decimal' },
    { key: 'realized_gain', value: model.realized.totals.gain, kind: 'decimal' },
    { key: 'unrealized_pnl_end', value: model.holdings_end.totals.unrealized_pnl, kind: 'decimal' },
    { key: 'twr', value: p.twr },
    { key: 'twr_annualized', value: p.twr_annualized },
    { key: 'mwr', value: p.mwr },
    { key: 'mwr_annualized', value: p.mwr_annualized },
    { key: 'benchmark_symbol', value: p.benchmark.symbol },
    { key: 'benchmark_twr', value: p.benchmark.twr },
    { key: 'excess_return', value: p.excess_return },
    { key: 'generated_at', value: generatedAt.toISOString(), kind: 'date' },
  ];
}

const STATEMENT_README = (model: TStatementModel, generatedAt: Date) => `Portfolio statement
Portfolio: ${model.portfolio.name} (${model.portfolio.id})
Period: ${model.period.from} to ${model.period.to} (inclusive, UTC days)
Cost-basis method: ${model.portfolio.cost_basis_method}; currency: ${model.portfolio.currency}
Generated: ${generatedAt.toISOString()}

Files
- summary.csv: key figures (item,value): values at the start and end, flows, income, fees, realized
  and unrealized gains, TWR, MWR, the benchmark's return and the excess return.
- holdings_start.csv, holdings_end.csv: holdings at the start and the end of the period with that day's
  price and value (cash, when tracked, as a last row with symbol USD).
- transactions.csv: every transaction in the period, oldest first.
- realized_gains.csv: one row per disposal and lot (the columns of realized_gains reports, Form 8949's
  a, b, c, d, e and h, then the term: long when held more than one year).
- performance_daily.csv: the daily value, net flow, cumulative TWR, the benchmark's cumulative return
  and the drawdown of the TWR index from its running peak.
- gains_by_month.csv: realized gain per month of disposal.
- allocation.csv: value and weight of each holding at the end (cash as USD).
- drift.csv: current and target weights and the trades that restore them (when targets are set).
- risk.csv: the risk metrics of the portfolio's TWR index (metric,value; empty when the period is too
  short, see summary.csv's risk_unavailable_reason).

${README_COMMON}`;

/** The statement as a ZIP of CSVs (byte chunks). */
export function statementZip(model: TStatementModel, generatedAt: Date): AsyncGenerator<Uint8Array> {
  const bench = byDate(model.benchmark_series);
  const drawdown = byDate(model.drawdown);
  const daily = model.performance.series.map(
    (day): TDailyRow => ({
      ...day,
      benchmark_cumulative: bench.get(day.date) ?? null,
      drawdown: drawdown.get(day.date) ?? null,
    }),
  );
  const summary = [
    ...statementSummary(model, generatedAt),
    { key: 'risk_unavailable_reason', value: model.risk_unavailable_reason },
  ];
  const risk: TKeyValue[] = model.risk
    ? [
        { key: 'window_from', value: model.risk.from, kind: 'date' },
        { key: 'window_to', value: model.risk.to, kind: 'date' },
        { key: 'observations', value: model.risk.observations },
        { key: 'benchmark', value: model.risk.benchmark },
        ...Object.entries(model.risk.metrics).map(
          ([key, value]): TKeyValue => ({ key, value, ...(key.endsWith('_date') ? { kind: 'date' as const } : {}) }),
        ),
        { key: 'risk_score', value: model.risk.risk_score },
        { key: 'risk_level', value: model.risk.risk_level },
        { key: 'concentration_hhi', value: model.risk.concentration.hhi },
        { key: 'concentration_effective_n', value: model.risk.concentration.effective_n },
        { key: 'concentration_top_symbol', value: model.risk.concentration.top_symbol },
        { key: 'concentration_top_weight', value: model.risk.concentration.top_weight },
      ]
    : [];
  return zipChunks(
    [
      textEntry('README.txt', STATEMENT_README(model, generatedAt)),
      csvEntry('summary.csv', KEY_VALUE_COLUMNS, summary),
      csvEntry('holdings_start.csv', HOLDING_COLUMNS, holdingRows(model.holdings_start)),
      csvEntry('holdings_end.csv', HOLDING_COLUMNS, holdingRows(model.holdings_end)),
      csvEntry('realized_gains.csv', REALIZED_COLUMNS, model.realized.disposals.map(realizedGainRow)),
      csvEntry('performance_daily.csv', DAILY_COLUMNS, daily),
      csvEntry(
        'gains_by_month.csv',
        [
          { header: 'month', kind: 'date', value: (row: { month: string; gain: string }) => row.month },
          { header: 'realized_gain', kind: 'decimal', value: (row: { month: string; gain: string }) => row.gain },
        ],
        model.gains_by_month,
      ),
      csvEntry(
        'allocation.csv',
        [
          { header: 'symbol', kind: 'text', value: (row: TStatementModel['allocation'][number]) => row.symbol },
          { header: 'value', kind: 'decimal', value: (row: TStatementModel['allocation'][number]) => row.value },
          { header: 'weight', kind: 'number', value: (row: TStatementModel['allocation'][number]) => row.weight },
        ],
        model.allocation,
      ),
      csvEntry('drift.csv', DRIFT_COLUMNS, model.drift?.rows ?? []),
      csvEntry('risk.csv', KEY_VALUE_COLUMNS.map((c, i) => (i === 0 ? { ...c, header: 'metric' } : c)), risk),
      // Last: the only table read from a cursor, so that it streams while the others are done.
      csvEntry('transactions.csv', TRANSACTION_COLUMNS, model.transactions),
    ],
    generatedAt,
  );
}

type TDriftRow = NonNullable<TStatementModel['drift']>['rows'][number];
const DRIFT_COLUMNS: TCsvColumn<TDriftRow>[] = [
  { header: 'symbol', kind: 'text', value: (row) => row.symbol },
  { header: 'current_weight', kind: 'number', value: (row) => row.current_weight },
  { header: 'target_weight', kind: 'number', value: (row) => row.target_weight },
  { header: 'drift', kind: 'number', value: (row) => row.drift },
  { header: 'trade_quantity', kind: 'decimal', value: (row) => row.trade_quantity },
  { header: 'trade_value', kind: 'decimal', value: (row) => row.trade_value },
];

