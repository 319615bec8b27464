import {
  REPORT_CADENCES,
  REPORT_FORMATS,
  REPORT_KINDS,
  REPORT_STATUSES,
  SCHEDULED_KINDS,
} from '../../../core/reports/index.ts';
import { z } from '../../openapi/zod.ts';
import { intParam, PORTFOLIO_TIMESTAMP, ZPortfolioTimestamp, ZSymbol, zKeysetCursor } from '../common.schemas.ts';

/** The longest period one report covers (ten years of days). */
export const MAX_PERIOD_DAYS = 3660;
/** Symbols of one coin risk report. */
export const MAX_REPORT_SYMBOLS = 10;

const zDay = (description: string) =>
  ZPortfolioTimestamp.transform((date) => date.toISOString().slice(0, 10)).openapi({
    type: 'string',
    pattern: PORTFOLIO_TIMESTAMP.source,
    maxLength: 35,
    example: '2025-01-31',
    description: `${description}; an ISO 8601 date (or date-time, of which the UTC day counts), 2009-01-03 to 2099-12-31`,
  });

const PORTFOLIO_KINDS = ['portfolio_statement', 'realized_gains'];
const DAY_MS = 86_400_000;

export const ZReportCreate = z
  .strictObject({
    kind: z.enum(REPORT_KINDS).openapi({
      description:
        '`portfolio_statement` (portfolio_id, from/to), `realized_gains` (portfolio_id, tax_year or from/to), ' +
        '`coin_risk` (symbols, window, to), `audit_export` (from/to; needs audit:read)',
    }),
    format: z.enum(REPORT_FORMATS).openapi({
      description: '`csv` (a statement is a ZIP of one CSV per table) or `pdf`',
    }),
    portfolio_id: z.uuid('must be a UUID').optional(),
    from: zDay('First day of the period (inclusive)').optional(),
    to: zDay('Last day of the period (inclusive); for coin_risk the window’s last day (default today)').optional(),
    tax_year: z.number().int().min(2009).max(2099).optional().openapi({ description: 'realized_gains: 1 January to 31 December of this year' }),
    symbols: z
      .array(ZSymbol)
      .min(1)
      .max(MAX_REPORT_SYMBOLS)
      .optional()
      .openapi({ description: `coin_risk: 1-${MAX_REPORT_SYMBOLS} symbols` }),
    window: z.number().int().min(30).max(1825).optional().openapi({ description: 'coin_risk: daily returns in the window (30-1825, default 90)' }),
    benchmark: ZSymbol.optional().openapi({ description: 'Benchmark (default BTC) for statements and coin risk' }),
  })
  .superRefine((body, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    const portfolioKind = PORTFOLIO_KINDS.includes(body.kind);
    if (portfolioKind && !body.portfolio_id) issue('portfolio_id', `is required for ${body.kind}`);
    if (!portfolioKind && body.portfolio_id) issue('portfolio_id', `is not taken by ${body.kind}`);
    if (body.kind === 'coin_risk') {
      if (!body.symbols) issue('symbols', 'is required for coin_risk');
      if (body.from) issue('from', 'is not taken by coin_risk (give window and to)');
    } else {
      if (body.symbols) issue('symbols', `is not taken by ${body.kind}`);
      if (body.window !== undefined) issue('window', `is not taken by ${body.kind}`);
    }
    if (body.tax_year !== undefined && body.kind !== 'realized_gains')
      issue('tax_year', `is not taken by ${body.kind}`);
    if (body.tax_year !== undefined && (body.from || body.to)) issue('tax_year', 'give tax_year or from/to, not both');
    if (body.kind !== 'coin_risk' && body.tax_year === undefined) {
      if (!body.from) issue('from', `is required for ${body.kind}`);
      if (!body.to) issue('to', `is required for ${body.kind}`);
    }
    if (body.from && body.to) {
      if (body.from > body.to) issue('from', 'must not be after to');
      else if ((Date.parse(body.to) - Date.parse(body.from)) / DAY_MS + 1 > MAX_PERIOD_DAYS)
        issue('to', `the period is at most ${MAX_PERIOD_DAYS} days`);
    }
  })
  .openapi('ReportCreate', {
    description: `Periods are at most ${MAX_PERIOD_DAYS} days; from must not be after to.`,
  });

export const ZReportParams = z.strictObject({ id: z.uuid('must be a UUID') });

export const ZReport = z
  .object({
    id: z.uuid(),
    owner_id: z.uuid(),
    kind: z.enum(REPORT_KINDS),
    format: z.enum(REPORT_FORMATS),
    params: z.record(z.string(), z.unknown()).openapi({ description: 'What was asked (normalized)' }),
    status: z.enum(REPORT_STATUSES),
    error: z.string().nullable(),
    size: z.number().int().nullable().openapi({ description: 'Bytes, once ready' }),
    sha256: z.string().nullable().openapi({ description: 'SHA-256 of the content (hex), once ready; the download’s ETag' }),
    content_type: z.string().nullable(),
    filename: z.string().nullable(),
    schedule_id: z.uuid().nullable(),
    period: z.string().nullable().openapi({ description: 'The schedule period it covers (`2026-11`, `2026-Q4`, `2026`)' }),
    created_at: z.string().openapi({ format: 'date-time' }),
    ready_at: z.string().nullable().openapi({ format: 'date-time' }),
    expires_at: z.string().openapi({ format: 'date-time' }),
    status_url: z.string(),
    download_url: z.string().nullable(),
  })
  .openapi('Report');

const ZPagination = z.object({
  limit: z.number().int(),
  next_cursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page' }),
});

export const ZReportList = z.object({ data: z.array(ZReport), pagination: ZPagination }).openapi('ReportList');
export const ZListQuery = z.strictObject({
  cursor: zKeysetCursor('uuid').optional(),
  limit: intParam(1, 200, 50),
});

export const ZScheduleCreate = z
  .strictObject({
    kind: z.enum(SCHEDULED_KINDS),
    format: z.enum(REPORT_FORMATS),
    portfolio_id: z.uuid('must be a UUID'),
    cadence: z.enum(REPORT_CADENCES),
  })
  .openapi('ReportScheduleCreate');

export const ZSchedule = z
  .object({
    id: z.uuid(),
    owner_id: z.uuid(),
    kind: z.enum(SCHEDULED_KINDS),
    format: z.enum(REPORT_FORMATS),
    portfolio_id: z.uuid(),
    cadence: z.enum(REPORT_CADENCES),
    last_period: z.string().nullable().openapi({ description: 'The last period made (or skipped at creation)' }),
    created_at: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('ReportSchedule');
export const ZScheduleList = z.object({ data: z.array(ZSchedule), pagination: ZPagination }).openapi('ReportScheduleList');
