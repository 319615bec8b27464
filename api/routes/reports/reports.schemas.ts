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

const DAY_MS = 86_400_000;

/** Rules JSON Schema cannot state (documented 400s, named in test/fuzz/hooks.py): the period's order and length. */
function checkPeriod(body: { from?: string | undefined; to?: string | undefined }, ctx: z.RefinementCtx) {
  if (!body.from || !body.to) return;
  if (body.from > body.to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after to' });
  else if ((Date.parse(body.to) - Date.parse(body.from)) / DAY_MS + 1 > MAX_PERIOD_DAYS)
    ctx.addIssue({ code: 'custom', path: ['to'], message: `the period is at most ${MAX_PERIOD_DAYS} days` });
}

const ZFormat = z.enum(REPORT_FORMATS).openapi({
  description: '`csv` (statements and coin risk: a ZIP of one CSV per table) or `pdf`',
});
const ZPortfolioId = z.uuid('must be a UUID');
const ZBenchmark = ZSymbol.optional().openapi({ description: 'Benchmark (default BTC)' });

const ZStatementRequest = z
  .strictObject({
    kind: z.literal('portfolio_statement'),
    format: ZFormat,
    portfolio_id: ZPortfolioId,
    from: zDay('First day of the period (inclusive)'),
    to: zDay('Last day of the period (inclusive); days after today are left out'),
    benchmark: ZBenchmark,
  })
  .superRefine(checkPeriod)
  .openapi('StatementRequest');

const ZRealizedGainsRequest = z
  .strictObject({
    kind: z.literal('realized_gains'),
    format: ZFormat,
    portfolio_id: ZPortfolioId,
    tax_year: z
      .number()
      .int()
      .min(2009)
      .max(2099)
      .optional()
      .openapi({ description: '1 January to 31 December of this year; or give from and to' }),
    from: zDay('First day of disposals (inclusive); with to, instead of tax_year').optional(),
    to: zDay('Last day of disposals (inclusive); with from, instead of tax_year').optional(),
  })
  .superRefine((body, ctx) => {
    const period = body.from !== undefined || body.to !== undefined;
    if (body.tax_year !== undefined && period)
      ctx.addIssue({ code: 'custom', path: ['tax_year'], message: 'give tax_year or from and to, not both' });
    else if (body.tax_year === undefined && !(body.from && body.to))
      ctx.addIssue({ code: 'custom', path: ['tax_year'], message: 'give tax_year or from and to' });
    checkPeriod(body, ctx);
  })
  .openapi('RealizedGainsRequest', { description: 'Give `tax_year`, or `from` and `to`.' });

const ZCoinRiskRequest = z
  .strictObject({
    kind: z.literal('coin_risk'),
    format: ZFormat,
    symbols: z
      .array(ZSymbol)
      .min(1)
      .max(MAX_REPORT_SYMBOLS)
      .openapi({ description: `1-${MAX_REPORT_SYMBOLS} symbols` }),
    window: z
      .number()
      .int()
      .min(30)
      .max(1825)
      .optional()
      .openapi({ description: 'Daily returns in the window (30-1825, default 90)' }),
    to: zDay('Last day of the window (default today)').optional(),
    benchmark: ZBenchmark,
  })
  .openapi('CoinRiskRequest');

const ZAuditExportRequest = z
  .strictObject({
    kind: z.literal('audit_export'),
    format: ZFormat,
    from: zDay('First day (inclusive)'),
    to: zDay('Last day (inclusive)'),
  })
  .superRefine(checkPeriod)
  .openapi('AuditExportRequest', { description: 'Needs `audit:read`.' });

export const ZReportCreate = z
  .discriminatedUnion('kind', [ZStatementRequest, ZRealizedGainsRequest, ZCoinRiskRequest, ZAuditExportRequest])
  .openapi('ReportCreate', {
    description: `One shape per kind. Periods are at most ${MAX_PERIOD_DAYS} days; from must not be after to.`,
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
