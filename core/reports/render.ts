// STUB until the rendering half (branch h23-render) lands: same signature, minimal CSV output.
import type { Writable } from 'node:stream';
import type { TReportFormat, TReportKind, TReportModels } from './report-model.ts';

export type TRenderOptions = { generatedAt: Date };
export type TReportMedia = { content_type: string; file_extension: 'csv' | 'zip' | 'pdf' };
const ZIPPED: ReadonlySet<TReportKind> = new Set(['portfolio_statement', 'coin_risk']);
export function reportMedia(kind: TReportKind, format: TReportFormat): TReportMedia {
  if (format === 'pdf') return { content_type: 'application/pdf', file_extension: 'pdf' };
  return ZIPPED.has(kind)
    ? { content_type: 'application/zip', file_extension: 'zip' }
    : { content_type: 'text/csv; charset=utf-8', file_extension: 'csv' };
}

const cell = (value: unknown) => {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

async function* rows<T>(source: Iterable<T> | AsyncIterable<T>): AsyncGenerator<T> {
  for await (const row of source) yield row;
}

export async function renderReport<K extends TReportKind>(
  kind: K,
  format: TReportFormat,
  model: TReportModels[K],
  out: Writable,
  options: TRenderOptions,
): Promise<TReportMedia> {
  const write = (line: string) =>
    new Promise<void>((resolve, reject) => out.write(`${line}\r\n`, (error) => (error ? reject(error) : resolve())));
  if (kind === 'realized_gains') {
    const realized = model as TReportModels['realized_gains'];
    await write('description,date_acquired,date_sold,proceeds,cost_basis,gain_or_loss,term,symbol,quantity');
    for await (const row of rows(realized.rows))
      await write(
        [row.description, row.date_acquired, row.date_disposed, row.proceeds, row.cost_basis, row.gain, row.term, row.symbol, row.quantity]
          .map(cell)
          .join(','),
      );
  } else if (kind === 'audit_export') {
    await write(`# generated ${options.generatedAt.toISOString()}`);
    for await (const row of rows((model as TReportModels['audit_export']).rows)) await write(cell(JSON.stringify(row)));
  } else {
    await write(cell(JSON.stringify(model, (key, value: unknown) => (key === 'transactions' ? undefined : value))));
  }
  await new Promise<void>((resolve) => out.end(resolve));
  return reportMedia(kind, format);
}
