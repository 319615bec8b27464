/**
 * The statement as PDF: key figures, the value and cumulative-return charts against the benchmark,
 * allocation, drawdown and gains by month, risk and drift, holdings at both ends, realized gains,
 * methodology, then every transaction of the period (read from its cursor row by row, last).
 */
import type { Writable } from 'node:stream';
import { formatAmount, formatMoment, formatPercent, formatQuantity, formatRatio } from './format.ts';
import { areaChart, barChart, horizontalBars, lineChart, tickPlaces } from './pdf-charts.ts';
import { COLORS, renderPdf, type TPdfColumn } from './pdf-document.ts';
import {
  holdingsTable,
  mapRows,
  METHOD_NAMES,
  methodology,
  NOT_TAX_ADVICE,
  REALIZED_PDF_COLUMNS,
  realizedCells,
} from './pdf-parts.ts';
import { realizedGainRow, type TStatementModel, type TStatementTransaction } from './report-model.ts';


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

