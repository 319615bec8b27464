/**
 * The CSV form of the realized-gains report (one CSV, the Form 8949 columns, see docs/reports.md), the
 * coin risk report (a ZIP of one CSV per table with a README.txt) and the audit export (one CSV); the
 * statement's ZIP is statement-csv.ts. Every table's columns are declared once, with each cell's kind.
 */
import type { TAuditRow } from '../audit/index.ts';
import { csvBytes, csvEntry, plainNumber, textEntry, zipChunks, type TCsvColumn } from './csv-writer.ts';
import type { TAuditExportModel, TCoinRiskModel, TRealizedGainRow, TRealizedGainsModel } from './report-model.ts';

// ---------------------------------------------------------------------------------------------------
// Tables

/** Form 8949 columns (a) (b) (c) (d) (e) (h), the term, then what identifies the disposal. */
export const REALIZED_COLUMNS: TCsvColumn<TRealizedGainRow>[] = [
  { header: 'description', kind: 'text', value: (row) => row.description },
  { header: 'date_acquired', kind: 'date', value: (row) => row.date_acquired },
  { header: 'date_sold', kind: 'date', value: (row) => row.date_disposed },
  { header: 'proceeds', kind: 'decimal', value: (row) => row.proceeds },
  { header: 'cost_basis', kind: 'decimal', value: (row) => row.cost_basis },
  { header: 'gain_or_loss', kind: 'decimal', value: (row) => row.gain },
  { header: 'term', kind: 'text', value: (row) => row.term },
  { header: 'symbol', kind: 'text', value: (row) => row.symbol },
  { header: 'quantity', kind: 'decimal', value: (row) => row.quantity },
  { header: 'holding_days', kind: 'integer', value: (row) => row.holding_days },
  { header: 'short_position', kind: 'boolean', value: (row) => row.short_position },
  { header: 'lot_id', kind: 'text', value: (row) => row.lot_id },
  { header: 'transaction_id', kind: 'text', value: (row) => row.transaction_id },
];


export const README_COMMON = `Conventions of every CSV file here
- RFC 4180: comma-separated, fields with a comma, quote or line break in double quotes (a quote inside
  doubled), CRLF line ends, UTF-8 without a byte-order mark, one header row.
- Amounts are exact decimal strings in the portfolio's currency (a point as the decimal separator, no
  thousands separator, no exponent); ratios and returns are plain decimals (0.05 = 5 %).
- Dates are ISO 8601: days as YYYY-MM-DD (UTC), moments as YYYY-MM-DDTHH:MM:SS.sssZ.
- Text cells that a spreadsheet would run as a formula (starting with = + - @ a tab or a carriage
  return, or an apostrophe) are written with an apostrophe in front; remove one leading apostrophe to
  get the original text.
- Market data provided by CoinGecko. Not tax advice.
`;

/** The realized-gains report: one CSV, a row per disposal and lot. */
export const realizedGainsCsv = (model: TRealizedGainsModel) => csvBytes(REALIZED_COLUMNS, model.rows);

// ---------------------------------------------------------------------------------------------------
// coin_risk

const COIN_README = (model: TCoinRiskModel, generatedAt: Date) => `Coin risk report
Symbols: ${model.coins.map((coin) => coin.report.symbol).join(', ')}
Window: ${model.window_days} daily returns to ${model.to}; benchmark ${model.benchmark}; risk-free rate ${plainNumber(model.risk_free_rate)}
Generated: ${generatedAt.toISOString()}

Files
- metrics.csv: one row per symbol: the window, observations, every risk metric, the risk score and level
  (definitions: docs/risk-methodology.md).
- drawdown.csv: symbol,date,drawdown: each day's drawdown from the running peak of the closes (<= 0).
- correlation.csv: the Pearson correlation matrix of daily returns on the dates all symbols share
  (first column the row's symbol; empty when undefined or for a single symbol).

${README_COMMON}`;

type TRiskEntry = TCoinRiskModel['coins'][number];
const METRIC_KEYS = (model: TCoinRiskModel) =>
  model.coins.length ? (Object.keys(model.coins[0]!.report.metrics) as (keyof TRiskEntry['report']['metrics'])[]) : [];

export function coinRiskZip(model: TCoinRiskModel, generatedAt: Date): AsyncGenerator<Uint8Array> {
  const metricColumns: TCsvColumn<TRiskEntry>[] = [
    { header: 'symbol', kind: 'text', value: (coin) => coin.report.symbol },
    { header: 'benchmark', kind: 'text', value: (coin) => coin.report.benchmark },
    { header: 'window_days', kind: 'integer', value: (coin) => coin.report.window_days },
    { header: 'from', kind: 'date', value: (coin) => coin.report.from },
    { header: 'to', kind: 'date', value: (coin) => coin.report.to },
    { header: 'observations', kind: 'integer', value: (coin) => coin.report.observations },
    ...METRIC_KEYS(model).map(
      (key): TCsvColumn<TRiskEntry> => ({
        header: key,
        kind: key.endsWith('_date') ? 'date' : 'number',
        value: (coin) => coin.report.metrics[key],
      }),
    ),
    { header: 'risk_score', kind: 'number', value: (coin) => coin.report.risk_score },
    { header: 'risk_level', kind: 'text', value: (coin) => coin.report.risk_level },
    { header: 'data_last_timestamp', kind: 'date', value: (coin) => coin.report.data_last_timestamp },
  ];
  const drawdown = model.coins.flatMap((coin) =>
    coin.drawdown.map((point) => ({ symbol: coin.report.symbol, ...point })),
  );
  const correlation = model.correlation;
  const matrixRows = correlation
    ? correlation.matrix.map((row, index) => ({ symbol: correlation.symbols[index]!, row }))
    : [];
  return zipChunks(
    [
      textEntry('README.txt', COIN_README(model, generatedAt)),
      csvEntry('metrics.csv', metricColumns, model.coins),
      csvEntry(
        'drawdown.csv',
        [
          { header: 'symbol', kind: 'text', value: (row: (typeof drawdown)[number]) => row.symbol },
          { header: 'date', kind: 'date', value: (row: (typeof drawdown)[number]) => row.date },
          { header: 'drawdown', kind: 'number', value: (row: (typeof drawdown)[number]) => row.value },
        ],
        drawdown,
      ),
      csvEntry(
        'correlation.csv',
        [
          { header: 'symbol', kind: 'text', value: (row: (typeof matrixRows)[number]) => row.symbol },
          ...(correlation?.symbols ?? []).map(
            (symbol, index): TCsvColumn<(typeof matrixRows)[number]> => ({
              header: symbol,
              kind: 'number',
              value: (row) => row.row[index] ?? null,
            }),
          ),
        ],
        matrixRows,
      ),
    ],
    generatedAt,
  );
}

// ---------------------------------------------------------------------------------------------------
// audit_export

export const AUDIT_COLUMNS: TCsvColumn<TAuditRow>[] = [
  { header: 'at', kind: 'date', value: (row) => row.at },
  { header: 'id', kind: 'text', value: (row) => row.id },
  { header: 'action', kind: 'text', value: (row) => row.action },
  { header: 'outcome', kind: 'text', value: (row) => row.outcome },
  { header: 'actor_type', kind: 'text', value: (row) => row.actor_type },
  { header: 'actor_id', kind: 'text', value: (row) => row.actor_id },
  { header: 'actor_user_id', kind: 'text', value: (row) => row.actor_user_id },
  { header: 'ip', kind: 'text', value: (row) => row.ip },
  { header: 'request_id', kind: 'text', value: (row) => row.request_id },
  { header: 'target_type', kind: 'text', value: (row) => row.target_type },
  { header: 'target_id', kind: 'text', value: (row) => row.target_id },
  { header: 'details', kind: 'text', value: (row) => JSON.stringify(row.details ?? {}) },
];

export const auditCsv = (model: TAuditExportModel) => csvBytes(AUDIT_COLUMNS, model.rows);
