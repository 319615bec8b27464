/**
 * The PDF form of each report kind: key figures, vector charts, the tables, methodology notes. Tables
 * that come from a cursor (transactions, disposals, audit rows) are written last, row by row.
 */
import type { Writable } from 'node:stream';
import type { TAuditRow } from '../audit/index.ts';
import {
  formatAmount,
  formatMoment,
  formatPercent,
  formatQuantity,
  formatRatio,
} from './format.ts';
import { areaChart, barChart, horizontalBars, lineChart, tickPlaces } from './pdf-charts.ts';
import { COLORS, renderPdf, type TPdf, type TPdfColumn } from './pdf-document.ts';
import type {
  TAuditExportModel,
  TCoinRiskModel,
  TGainTotals,
  THoldingsAnswer,
  TRealizedGainRow,
  TRealizedGainsModel,
  TReportRows,
  TStatementModel,
  TStatementTransaction,
} from './report-model.ts';
import { realizedGainRow } from './report-model.ts';

async function* mapRows<T, U>(rows: TReportRows<T>, map: (row: T) => U): AsyncGenerator<U> {
  for await (const row of rows) yield map(row);
}

const METHOD_NAMES: Record<string, string> = {
  fifo: 'FIFO (first in, first out)',
  lifo: 'LIFO (last in, first out)',
  hifo: 'HIFO (highest cost first)',
  average: 'Average cost (pooled)',
  specific: 'Specific identification',
};

const NOT_TAX_ADVICE =
  'This report is generated from the transactions recorded in the portfolio and market data provided by CoinGecko. It is not tax advice: check the figures against your own records and ask a tax adviser how they apply to you.';

// ---------------------------------------------------------------------------------------------------
// Shared tables

const REALIZED_PDF_COLUMNS: TPdfColumn[] = [
  { header: 'Description', width: 0.2 },
  { header: 'Acquired', width: 0.11 },
  { header: 'Sold', width: 0.11 },
  { header: 'Proceeds', width: 0.14, align: 'right' },
  { header: 'Cost basis', width: 0.14, align: 'right' },
  { header: 'Gain or loss', width: 0.14, align: 'right' },
  { header: 'Term', width: 0.09, align: 'right' },
  { header: 'Days', width: 0.07, align: 'right' },
];

const realizedCells = (row: TRealizedGainRow): string[] => [
  `${formatQuantity(row.quantity)} ${row.symbol}`,
  row.date_acquired,
  row.date_disposed,
  formatAmount(row.proceeds),
  formatAmount(row.cost_basis),
  formatAmount(row.gain),
  row.term,
  String(row.holding_days),
];

const HOLDING_PDF_COLUMNS: TPdfColumn[] = [
  { header: 'Symbol', width: 0.1 },
  { header: 'Quantity', width: 0.16, align: 'right' },
  { header: 'Price', width: 0.14, align: 'right' },
  { header: 'Value', width: 0.16, align: 'right' },
  { header: 'Cost basis', width: 0.16, align: 'right' },
  { header: 'Unrealized', width: 0.16, align: 'right' },
  { header: 'Weight', width: 0.12, align: 'right' },
];

async function holdingsTable(pdf: TPdf, holdings: THoldingsAnswer) {
  const rows = holdings.holdings.map((h) => [
    h.symbol,
    formatQuantity(h.quantity),
    formatAmount(h.price),
    formatAmount(h.market_value),
    formatAmount(h.cost_basis),
    formatAmount(h.unrealized_pnl),
    formatPercent(h.weight),
  ]);
  if (holdings.cash !== null) rows.push(['Cash (USD)', '', '', formatAmount(holdings.cash), '', '', '']);
  rows.push([
    'Total',
    '',
    '',
    formatAmount(holdings.totals.value),
    formatAmount(holdings.totals.cost_basis),
    formatAmount(holdings.totals.unrealized_pnl),
    '',
  ]);
  await pdf.table(HOLDING_PDF_COLUMNS, rows);
}

const totalsPairs = (label: string, totals: TGainTotals): [string, string][] => [
  [`${label}: proceeds`, formatAmount(totals.proceeds)],
  [`${label}: cost basis`, formatAmount(totals.cost_basis)],
  [`${label}: gain or loss`, formatAmount(totals.gain)],
  [`${label}: disposals`, String(totals.count)],
];

// ---------------------------------------------------------------------------------------------------
// portfolio_statement

const TRANSACTION_PDF_COLUMNS: TPdfColumn[] = [
  { header: 'Time (UTC)', width: 0.17 },
  { header: 'Type', width: 0.1 },
  { header: 'Symbol', width: 0.08 },
  { header: 'Quantity', width: 0.15, align: 'right' },
  { header: 'Price', width: 0.14, align: 'right' },
  { header: 'Fee', width: 0.1, align: 'right' },
  { header: 'Notes', width: 0.26 },
];

const transactionCells = (tx: TStatementTransaction): string[] => [
  formatMoment(tx.timestamp).replace(' UTC', ''),
  tx.type,
  tx.symbol,
  formatQuantity(tx.quantity),
  formatAmount(tx.price),
  formatAmount(tx.fee),
  tx.notes ?? '',
];

export function statementPdf(model: TStatementModel, out: Writable, generatedAt: Date): Promise<void> {
  const p = model.performance;
  return renderPdf(
    out,
    {
      title: `Portfolio statement — ${model.portfolio.name}`,
      subject: `${model.period.from} to ${model.period.to}`,
      generatedAt,
    },
    async (pdf) => {
      pdf.title('Portfolio statement', [
        `${model.portfolio.name} · ${model.portfolio.id}`,
        `Period ${model.period.from} to ${model.period.to} · Currency ${model.portfolio.currency} · Cost-basis method ${METHOD_NAMES[model.portfolio.cost_basis_method] ?? model.portfolio.cost_basis_method}`,
        `Generated ${formatMoment(generatedAt)}`,
      ]);
      pdf.heading('Summary');
      pdf.keyValues([
        ['Value at start', formatAmount(model.holdings_start.totals.value)],
        ['Value at end', formatAmount(model.holdings_end.totals.value)],
        ['Inflows', formatAmount(p.inflows)],
        ['Outflows', formatAmount(p.outflows)],
        ['Net flows', formatAmount(p.net_flows)],
        ['Gain', formatAmount(p.gain)],
        ['Income', formatAmount(model.income)],
        ['Fees', formatAmount(model.fees)],
        ['Realized gain', formatAmount(model.realized.totals.gain)],
        ['Unrealized gain at end', formatAmount(model.holdings_end.totals.unrealized_pnl)],
        ['Time-weighted return (TWR)', formatPercent(p.twr)],
        ['TWR annualized', formatPercent(p.twr_annualized)],
        ['Money-weighted return (MWR)', formatPercent(p.mwr)],
        ['MWR annualized', formatPercent(p.mwr_annualized)],
        [`Benchmark (${p.benchmark.symbol}) return`, formatPercent(p.benchmark.twr)],
        ['Excess return', formatPercent(p.excess_return)],
      ]);
      const dates = p.series.map((day) => day.date);
      lineChart(pdf, {
        title: 'Portfolio value',
        height: 120,
        dates,
        series: [{ label: `Value (${model.portfolio.currency})`, color: COLORS.portfolio, values: p.series.map((d) => Number(d.value)) }],
        format: (value, step) => formatAmount(String(value), tickPlaces(step)),
      });
      const bench = new Map(model.benchmark_series.map((point) => [point.date, point.value]));
      lineChart(pdf, {
        title: `Cumulative return: portfolio (TWR) against ${p.benchmark.symbol}`,
        height: 120,
        dates,
        series: [
          { label: 'Portfolio TWR', color: COLORS.portfolio, values: p.series.map((d) => d.twr_cumulative) },
          { label: p.benchmark.symbol, color: COLORS.benchmark, values: dates.map((d) => bench.get(d) ?? Number.NaN) },
        ],
        format: (value, step) => formatPercent(value, tickPlaces(step * 100)),
      });

      pdf.addPage();
      pdf.heading('Allocation at the end of the period');
      horizontalBars(pdf, {
        title: 'Weight of each holding by value',
        color: COLORS.portfolio,
        items: model.allocation.map((row) => ({
          label: row.symbol,
          weight: row.weight,
          text: `${formatAmount(row.value)} · ${formatPercent(row.weight)}`,
        })),
      });
      areaChart(pdf, {
        title: 'Drawdown of the TWR index from its running peak',
        height: 100,
        dates: model.drawdown.map((point) => point.date),
        values: model.drawdown.map((point) => point.value),
        color: COLORS.area,
        format: (value, step) => formatPercent(value, tickPlaces(step * 100)),
      });
      barChart(pdf, {
        title: 'Realized gains by month',
        height: 100,
        labels: model.gains_by_month.map((row) => row.month),
        values: model.gains_by_month.map((row) => Number(row.gain)),
        format: (value, step) => formatAmount(String(value), tickPlaces(step)),
      });

      pdf.heading('Risk');
      if (model.risk) {
        const m = model.risk.metrics;
        pdf.paragraph(
          `Over ${model.risk.from} to ${model.risk.to} (${model.risk.observations} daily returns of the TWR index), against ${model.risk.benchmark}. Risk score ${model.risk.risk_score} (${model.risk.risk_level}).`,
        );
        pdf.keyValues([
          ['Volatility (annualized)', formatPercent(m.volatility_annualized)],
          ['Maximum drawdown', formatPercent(m.max_drawdown)],
          ['VaR 95 % (1 day)', formatPercent(m.var_95)],
          ['CVaR 95 % (1 day)', formatPercent(m.cvar_95)],
          ['Sharpe ratio', formatRatio(m.sharpe_ratio)],
          ['Sortino ratio', formatRatio(m.sortino_ratio)],
          ['Beta', formatRatio(m.beta)],
          ['Correlation to benchmark', formatRatio(m.correlation_to_benchmark)],
          ['Concentration (HHI)', formatRatio(model.risk.concentration.hhi)],
          ['Largest holding', `${model.risk.concentration.top_symbol ?? '–'} ${formatPercent(model.risk.concentration.top_weight)}`],
        ]);
      } else {
        pdf.paragraph(`No risk metrics: ${model.risk_unavailable_reason ?? 'not available for this period'}.`);
      }

      pdf.heading('Drift from targets');
      if (model.drift) {
        await pdf.table(
          [
            { header: 'Symbol', width: 0.14 },
            { header: 'Current weight', width: 0.18, align: 'right' },
            { header: 'Target weight', width: 0.18, align: 'right' },
            { header: 'Drift', width: 0.14, align: 'right' },
            { header: 'Trade quantity', width: 0.18, align: 'right' },
            { header: 'Trade value', width: 0.18, align: 'right' },
          ],
          model.drift.rows.map((row) => [
            row.symbol,
            formatPercent(row.current_weight),
            formatPercent(row.target_weight),
            formatPercent(row.drift),
            formatQuantity(row.trade_quantity),
            formatAmount(row.trade_value),
          ]),
        );
      } else {
        pdf.paragraph('The portfolio has no target weights.');
      }

      pdf.addPage();
      pdf.heading(`Holdings at the start (${model.period.from})`);
      await holdingsTable(pdf, model.holdings_start);
      pdf.heading(`Holdings at the end (${model.period.to})`);
      await holdingsTable(pdf, model.holdings_end);

      pdf.heading('Realized gains by disposal');
      await pdf.table(REALIZED_PDF_COLUMNS, model.realized.disposals.map((d) => realizedCells(realizedGainRow(d))));
      pdf.keyValues([
        ['Proceeds', formatAmount(model.realized.totals.proceeds)],
        ['Cost basis', formatAmount(model.realized.totals.cost)],
        ['Realized gain', formatAmount(model.realized.totals.gain)],
        ['Disposals', String(model.realized.disposals.length)],
      ]);

      methodology(pdf, [
        `Values are in ${model.portfolio.currency}: the value at the end of a day is the quantity held times that day's close (the last price of the UTC day; a coin without one uses its last earlier close) plus cash when tracked. Holdings at the start and the end are valued at the closes of those days.`,
        'Time-weighted return (TWR): one-day sub-periods with inflows at the start of the day and outflows at its end, chained. Money-weighted return (MWR): the XIRR (Actual/365) of the flows. Returns over fewer than 365 days are not annualized.',
        `Benchmark: ${p.benchmark.symbol}'s close at the end over its close on the day before the period, minus 1; excess return = TWR − benchmark return. Drawdown: the TWR index against its running peak.`,
        `Realized gains: each disposal consumes lots by the cost-basis method (${METHOD_NAMES[model.portfolio.cost_basis_method] ?? model.portfolio.cost_basis_method}); gain = proceeds − cost basis; long term when held more than one year. Risk metrics are those of docs/risk-methodology.md on the portfolio's daily TWR returns.`,
        NOT_TAX_ADVICE,
      ]);

      pdf.addPage();
      pdf.heading(`Transactions ${model.period.from} to ${model.period.to}`);
      const count = await pdf.table(TRANSACTION_PDF_COLUMNS, mapRows(model.transactions, transactionCells));
      pdf.paragraph(`${count} transactions.`);
    },
  );
}

function methodology(pdf: TPdf, notes: readonly string[]) {
  pdf.heading('Methodology');
  for (const note of notes) pdf.paragraph(note, 8);
  pdf.paragraph('Data provided by CoinGecko.', 8);
}

// ---------------------------------------------------------------------------------------------------
// realized_gains

export function realizedGainsPdf(model: TRealizedGainsModel, out: Writable, generatedAt: Date): Promise<void> {
  const method = METHOD_NAMES[model.cost_basis_method] ?? model.cost_basis_method;
  return renderPdf(
    out,
    {
      title: `Realized gains — ${model.portfolio.name}`,
      subject: model.tax_year === null ? `${model.period.from} to ${model.period.to}` : `Tax year ${model.tax_year}`,
      generatedAt,
    },
    async (pdf) => {
      pdf.title('Realized gains and losses', [
        `${model.portfolio.name} · ${model.portfolio.id}`,
        `${model.tax_year === null ? '' : `Tax year ${model.tax_year} · `}Disposals ${model.period.from} to ${model.period.to} · Currency ${model.portfolio.currency}`,
        `Cost-basis method: ${method}`,
        `Generated ${formatMoment(generatedAt)}`,
      ]);
      pdf.heading('Totals by term');
      pdf.keyValues(
        [
          ...totalsPairs('Short term', model.totals.short),
          ...totalsPairs('Long term', model.totals.long),
          ...totalsPairs('Total', model.totals.all),
        ],
        2,
      );
      methodology(pdf, [
        `One row per disposal and lot: the lots each disposal consumed were picked by the portfolio's cost-basis method (${method}). Proceeds are net of the disposal's fee share and the cost basis includes the acquisition's fee share when the portfolio counts fees in the cost basis.`,
        'Term: long when the disposal is more than one year after the acquisition (the day after the acquisition starts the holding period), short otherwise. Dates are UTC days.',
        'The columns follow IRS Form 8949: (a) description, (b) date acquired, (c) date sold or disposed of, (d) proceeds, (e) cost or other basis, (h) gain or (loss). Adjustments (columns f and g) are not computed.',
        NOT_TAX_ADVICE,
      ]);
      pdf.heading('Disposals');
      await pdf.table(REALIZED_PDF_COLUMNS, mapRows(model.rows, realizedCells));
    },
  );
}

// ---------------------------------------------------------------------------------------------------
// coin_risk

export function coinRiskPdf(model: TCoinRiskModel, out: Writable, generatedAt: Date): Promise<void> {
  const symbols = model.coins.map((coin) => coin.report.symbol);
  return renderPdf(
    out,
    { title: `Coin risk — ${symbols.join(', ')}`, subject: `${model.window_days} days to ${model.to}`, generatedAt },
    async (pdf) => {
      pdf.title('Coin risk report', [
        `Symbols ${symbols.join(', ')}`,
        `Window ${model.window_days} daily returns to ${model.to} · Benchmark ${model.benchmark} · Risk-free rate ${formatPercent(model.risk_free_rate)}`,
        `Generated ${formatMoment(generatedAt)}`,
      ]);
      for (const [index, coin] of model.coins.entries()) {
        if (index > 0) pdf.addPage();
        const r = coin.report;
        const m = r.metrics;
        pdf.heading(`${r.symbol}: risk score ${r.risk_score} (${r.risk_level})`);
        pdf.paragraph(`${r.from} to ${r.to}, ${r.observations} daily returns, against ${r.benchmark}.`);
        pdf.keyValues([
          ['Volatility (daily)', formatPercent(m.volatility_daily)],
          ['Volatility (annualized)', formatPercent(m.volatility_annualized)],
          ['Return (total)', formatPercent(m.return_total)],
          ['Return (annualized)', formatPercent(m.return_annualized)],
          ['Maximum drawdown', formatPercent(m.max_drawdown)],
          ['Drawdown peak', m.max_drawdown_peak_date ?? '–'],
          ['Drawdown trough', m.max_drawdown_trough_date ?? '–'],
          ['Recovered', m.max_drawdown_recovery_date ?? '–'],
          ['VaR 95 %', formatPercent(m.var_95)],
          ['VaR 99 %', formatPercent(m.var_99)],
          ['CVaR 95 %', formatPercent(m.cvar_95)],
          ['CVaR 99 %', formatPercent(m.cvar_99)],
          ['Parametric VaR 95 %', formatPercent(m.parametric_var_95)],
          ['Parametric VaR 99 %', formatPercent(m.parametric_var_99)],
          ['Sharpe ratio', formatRatio(m.sharpe_ratio)],
          ['Sortino ratio', formatRatio(m.sortino_ratio)],
          ['Calmar ratio', formatRatio(m.calmar_ratio)],
          ['Beta', formatRatio(m.beta)],
          ['Alpha (annualized)', formatPercent(m.alpha_annualized)],
          ['Correlation to benchmark', formatRatio(m.correlation_to_benchmark)],
          ['Liquidity ratio', formatRatio(m.liquidity_ratio)],
          ['Annualization factor', String(r.annualization_factor)],
        ]);
        areaChart(pdf, {
          title: `${r.symbol} drawdown from the running peak`,
          height: 110,
          dates: coin.drawdown.map((point) => point.date),
          values: coin.drawdown.map((point) => point.value),
          color: COLORS.area,
          format: (value, step) => formatPercent(value, tickPlaces(step * 100)),
        });
      }
      if (model.correlation) {
        const c = model.correlation;
        pdf.heading('Correlation of daily returns');
        pdf.paragraph(`Pearson correlation on the ${c.observations} dates all symbols share, ${c.from} to ${c.to}.`);
        const width = Math.min(0.15, 0.85 / Math.max(c.symbols.length, 1));
        await pdf.table(
          [{ header: '', width: 0.15 }, ...c.symbols.map((symbol) => ({ header: symbol, width, align: 'right' as const }))],
          c.matrix.map((row, index) => [c.symbols[index]!, ...row.map((value) => formatRatio(value, 3))]),
        );
      }
      methodology(pdf, [
        'Metrics on the simple daily returns of the daily closes in the window (definitions: docs/risk-methodology.md): volatility is the sample standard deviation (annualized by the square root of 365); VaR and CVaR are historical one-day losses at the given confidence, parametric VaR the normal one; Sharpe, Sortino and Calmar ratios use the risk-free rate given; beta, alpha and correlation are against the benchmark on shared dates.',
        'Drawdown: each close against the highest close before it in the window.',
      ]);
    },
  );
}

// ---------------------------------------------------------------------------------------------------
// audit_export

const AUDIT_PDF_COLUMNS: TPdfColumn[] = [
  { header: 'Time (UTC)', width: 0.16 },
  { header: 'Action', width: 0.17 },
  { header: 'Outcome', width: 0.08 },
  { header: 'Actor', width: 0.2 },
  { header: 'Target', width: 0.2 },
  { header: 'IP', width: 0.1 },
  { header: 'Request', width: 0.09 },
];

const auditCells = (row: TAuditRow): string[] => [
  formatMoment(row.at).replace(' UTC', ''),
  row.action,
  row.outcome,
  `${row.actor_type}${row.actor_id ? ` ${row.actor_id}` : ''}`,
  row.target_type ? `${row.target_type} ${row.target_id ?? ''}` : '',
  row.ip ?? '',
  row.request_id ?? '',
];

export function auditPdf(model: TAuditExportModel, out: Writable, generatedAt: Date): Promise<void> {
  return renderPdf(
    out,
    { title: 'Audit log export', subject: `${model.period.from} to ${model.period.to}`, generatedAt },
    async (pdf) => {
      pdf.title('Audit log export', [
        `Events ${model.period.from} to ${model.period.to} (UTC), oldest first`,
        `Generated ${formatMoment(generatedAt)}`,
      ]);
      const count = await pdf.table(AUDIT_PDF_COLUMNS, mapRows(model.rows, auditCells), 6.5);
      pdf.paragraph(`${count} events. The details of each event are in the CSV export.`);
    },
  );
}
