/**
 * The PDF form of the realized-gains report, the coin risk report and the audit export (the
 * statement's is statement-pdf.ts). Tables that come from a cursor are written last, row by row.
 */
import type { Writable } from 'node:stream';
import type { TAuditRow } from '../audit/index.ts';
import { formatMoment, formatPercent, formatRatio } from './format.ts';
import { areaChart, tickPlaces } from './pdf-charts.ts';
import { COLORS, renderPdf, type TPdfColumn } from './pdf-document.ts';
import {
  mapRows,
  METHOD_NAMES,
  methodology,
  NOT_TAX_ADVICE,
  REALIZED_PDF_COLUMNS,
  realizedCells,
  totalsPairs,
} from './pdf-parts.ts';
import type { TAuditExportModel, TCoinRiskModel, TRealizedGainsModel } from './report-model.ts';

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
