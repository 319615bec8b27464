/**
 * The one entry to the renderers: `renderReport(kind, format, model, out, { generatedAt })` writes the
 * report into `out` (streamed, back-pressure respected; `out` is ended when the report is complete,
 * destroyed on failure) and resolves to its media type and file extension, which `reportMedia(kind,
 * format)` also answers beforehand (for headers written before the body). The same model and
 * `generatedAt` give byte-identical output.
 *
 * | kind                | csv                                   | pdf             |
 * | ------------------- | ------------------------------------- | --------------- |
 * | portfolio_statement | ZIP of CSVs + README.txt (`.zip`)     | PDF with charts |
 * | realized_gains      | one CSV, Form 8949 columns (`.csv`)   | PDF             |
 * | coin_risk           | ZIP of CSVs + README.txt (`.zip`)     | PDF with charts |
 * | audit_export        | one CSV (`.csv`)                      | PDF             |
 */
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { auditCsv, coinRiskZip, realizedGainsCsv } from './csv-reports.ts';
import { statementZip } from './statement-csv.ts';
import { auditPdf, coinRiskPdf, realizedGainsPdf } from './pdf-reports.ts';
import { statementPdf } from './statement-pdf.ts';
import type { TReportFormat, TReportKind, TReportModels } from './report-model.ts';

export type TReportMedia = {
  /** The Content-Type of the bytes: `text/csv; charset=utf-8`, `application/zip` or `application/pdf`. */
  content_type: string;
  /** Without the dot: `csv`, `zip` or `pdf`. */
  file_extension: 'csv' | 'zip' | 'pdf';
};

const ZIPPED: ReadonlySet<TReportKind> = new Set(['portfolio_statement', 'coin_risk']);

export function reportMedia(kind: TReportKind, format: TReportFormat): TReportMedia {
  if (format === 'pdf') return { content_type: 'application/pdf', file_extension: 'pdf' };
  return ZIPPED.has(kind)
    ? { content_type: 'application/zip', file_extension: 'zip' }
    : { content_type: 'text/csv; charset=utf-8', file_extension: 'csv' };
}

export type TRenderOptions = {
  /** The generation time printed on the report, its PDF dates and its ZIP entries' times. */
  generatedAt: Date;
};

function csvSource(kind: TReportKind, model: TReportModels[TReportKind], generatedAt: Date): AsyncIterable<Uint8Array> {
  switch (kind) {
    case 'portfolio_statement':
      return statementZip(model as TReportModels['portfolio_statement'], generatedAt);
    case 'realized_gains':
      return realizedGainsCsv(model as TReportModels['realized_gains']);
    case 'coin_risk':
      return coinRiskZip(model as TReportModels['coin_risk'], generatedAt);
    case 'audit_export':
      return auditCsv(model as TReportModels['audit_export']);
  }
}

function pdfRenderer(kind: TReportKind, model: TReportModels[TReportKind], out: Writable, generatedAt: Date) {
  switch (kind) {
    case 'portfolio_statement':
      return statementPdf(model as TReportModels['portfolio_statement'], out, generatedAt);
    case 'realized_gains':
      return realizedGainsPdf(model as TReportModels['realized_gains'], out, generatedAt);
    case 'coin_risk':
      return coinRiskPdf(model as TReportModels['coin_risk'], out, generatedAt);
    case 'audit_export':
      return auditPdf(model as TReportModels['audit_export'], out, generatedAt);
  }
}

/** Renders one report into `out` (see the module comment). */
export async function renderReport<K extends TReportKind>(
  kind: K,
  format: TReportFormat,
  model: TReportModels[K],
  out: Writable,
  options: TRenderOptions,
): Promise<TReportMedia> {
  if (format === 'pdf') await pdfRenderer(kind, model, out, options.generatedAt);
  else await pipeline(Readable.from(csvSource(kind, model, options.generatedAt), { objectMode: false }), out);
  return reportMedia(kind, format);
}
