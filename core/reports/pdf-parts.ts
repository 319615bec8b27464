/** What the PDF reports share: the realized-gains and holdings tables, methodology notes, wording. */
import { formatAmount, formatPercent, formatQuantity } from './format.ts';
import type { TPdf, TPdfColumn } from './pdf-document.ts';
import type { TGainTotals, THoldingsAnswer, TRealizedGainRow, TReportRows } from './report-model.ts';

export async function* mapRows<T, U>(rows: TReportRows<T>, map: (row: T) => U): AsyncGenerator<U> {
  for await (const row of rows) yield map(row);
}

export const METHOD_NAMES: Record<string, string> = {
  fifo: 'FIFO (first in, first out)',
  lifo: 'LIFO (last in, first out)',
  hifo: 'HIFO (highest cost first)',
  average: 'Average cost (pooled)',
  specific: 'Specific identification',
};

export const NOT_TAX_ADVICE =
  'This report is generated from the transactions recorded in the portfolio and market data provided by CoinGecko. It is not tax advice: check the figures against your own records and ask a tax adviser how they apply to you.';

// ---------------------------------------------------------------------------------------------------
// Shared tables

export const REALIZED_PDF_COLUMNS: TPdfColumn[] = [
  { header: 'Description', width: 0.2 },
  { header: 'Acquired', width: 0.11 },
  { header: 'Sold', width: 0.11 },
  { header: 'Proceeds', width: 0.14, align: 'right' },
  { header: 'Cost basis', width: 0.14, align: 'right' },
  { header: 'Gain or loss', width: 0.14, align: 'right' },
  { header: 'Term', width: 0.09, align: 'right' },
  { header: 'Days', width: 0.07, align: 'right' },
];

export const realizedCells = (row: TRealizedGainRow): string[] => [
  `${formatQuantity(row.quantity)} ${row.symbol}`,
  row.date_acquired,
  row.date_disposed,
  formatAmount(row.proceeds),
  formatAmount(row.cost_basis),
  formatAmount(row.gain),
  row.term,
  String(row.holding_days),
];

export const HOLDING_PDF_COLUMNS: TPdfColumn[] = [
  { header: 'Symbol', width: 0.1 },
  { header: 'Quantity', width: 0.16, align: 'right' },
  { header: 'Price', width: 0.14, align: 'right' },
  { header: 'Value', width: 0.16, align: 'right' },
  { header: 'Cost basis', width: 0.16, align: 'right' },
  { header: 'Unrealized', width: 0.16, align: 'right' },
  { header: 'Weight', width: 0.12, align: 'right' },
];

export async function holdingsTable(pdf: TPdf, holdings: THoldingsAnswer) {
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

export const totalsPairs = (label: string, totals: TGainTotals): [string, string][] => [
  [`${label}: proceeds`, formatAmount(totals.proceeds)],
  [`${label}: cost basis`, formatAmount(totals.cost_basis)],
  [`${label}: gain or loss`, formatAmount(totals.gain)],
  [`${label}: disposals`, String(totals.count)],
];

export function methodology(pdf: TPdf, notes: readonly string[]) {
  pdf.heading('Methodology');
  for (const note of notes) pdf.paragraph(note, 8);
  pdf.paragraph('Data provided by CoinGecko.', 8);
}

