import { ZProblem } from '../../openapi/registry.ts';
import { defineRoute } from '../define-route.ts';
import { sendReport } from './download.ts';
import {
  ZListQuery,
  ZReport,
  ZReportCreate,
  ZReportList,
  ZReportParams,
  ZSchedule,
  ZScheduleCreate,
  ZScheduleList,
} from './reports.schemas.ts';

const tags = ['Reports'];
const BASE = '/api/v1/reports';
const SCHEDULES = '/api/v1/report-schedules';
const ownership =
  'Only the owner (and holders of `reports:admin`) see a report; to anyone else it does not exist (404).';

export const reportRoutes = [
  defineRoute({
    method: 'post',
    path: BASE,
    tags,
    summary: 'Request a report',
    description:
      'Queues the report; the `render-report` job makes it (follow `status_url`; a `report.ready` webhook event ' +
      'fires when it is ready). Portfolio reports need access to the portfolio (404 otherwise); `audit_export` ' +
      'needs `audit:read`. A period that starts after today, or a statement that ends before the portfolio’s ' +
      'first transaction, is a 422 (`period_beyond_data`); past REPORTS_PER_USER or REPORT_BYTES_PER_USER ' +
      'a 409 (`quota_exceeded`). Honours `Idempotency-Key`.',
    request: { body: ZReportCreate },
    permission: 'reports:manage',
    idempotent: true,
    response: { status: 202, description: 'Queued', schema: ZReport },
    problems: [404, 409, 422],
    handler: ({ input, actor, deps }) => deps.services.reports.create(actor, input.body),
  }),
  defineRoute({
    method: 'get',
    path: BASE,
    tags,
    summary: 'The caller’s reports',
    description: 'Newest first; page with `pagination.next_cursor`.',
    request: { query: ZListQuery },
    permission: 'reports:manage',
    response: { status: 200, description: 'A page of reports', schema: ZReportList },
    handler: ({ input, actor, deps }) => deps.services.reports.list(actor, input.query),
  }),
  defineRoute({
    method: 'get',
    path: `${BASE}/{id}`,
    tags,
    summary: 'One report: status, size, SHA-256, expiry',
    description: ownership,
    request: { params: ZReportParams },
    permission: 'reports:manage',
    response: { status: 200, description: 'The report', schema: ZReport },
    problems: [404],
    handler: ({ input, actor, deps }) => deps.services.reports.get(actor, input.params.id),
  }),
  defineRoute({
    method: 'get',
    path: `${BASE}/{id}/download`,
    tags,
    summary: 'Download a ready report',
    description:
      'Streamed from storage with `Content-Disposition` and `ETag` (the SHA-256): `If-None-Match` answers 304; ' +
      'one `Range: bytes=…` answers 206 (416 past the end; several ranges send the whole; `If-Range` is ' +
      `honoured). A report not ready yet is a 409. ${ownership}`,
    request: { params: ZReportParams },
    permission: 'reports:manage',
    response: {
      status: 200,
      description: 'The report (CSV, a ZIP of CSVs, or PDF)',
      content: {
        'text/csv': { schema: { type: 'string' } },
        'application/zip': { schema: { type: 'string', format: 'binary' } },
        'application/pdf': { schema: { type: 'string', format: 'binary' } },
      },
      headers: {
        ETag: { description: 'The SHA-256 of the content, quoted', schema: { type: 'string' } },
        'Content-Disposition': { description: 'attachment; filename="…"', schema: { type: 'string' } },
        'Accept-Ranges': { description: 'bytes', schema: { type: 'string' } },
      },
    },
    otherResponses: {
      206: {
        description: 'The requested byte range (Content-Range)',
        content: {
          'text/csv': { schema: { type: 'string' } },
          'application/zip': { schema: { type: 'string', format: 'binary' } },
          'application/pdf': { schema: { type: 'string', format: 'binary' } },
        },
      },
      304: { description: 'Not modified (If-None-Match matched the ETag)' },
      416: {
        description: 'Range not satisfiable (Content-Range: bytes */size)',
        content: { 'application/problem+json': { schema: ZProblem } },
      },
    },
    problems: [404, 409],
    handler: async ({ input, actor, deps, req, res }) => {
      const { report, read } = await deps.services.reports.open(actor, input.params.id);
      await sendReport(req, res, report, read);
    },
  }),
  defineRoute({
    method: 'delete',
    path: `${BASE}/{id}`,
    tags,
    summary: 'Delete a report and its content',
    description: ownership,
    request: { params: ZReportParams },
    permission: 'reports:manage',
    response: { status: 204, description: 'Deleted' },
    problems: [404],
    handler: ({ input, actor, deps }) => deps.services.reports.remove(actor, input.params.id),
  }),
  defineRoute({
    method: 'post',
    path: SCHEDULES,
    tags,
    summary: 'Schedule a report per period',
    description:
      'After each period (month, quarter, year) closes, its report is made once (the first: the last period ' +
      'closed by now); a `report.ready` event fires for each. Past REPORT_SCHEDULES_PER_USER a 409. Honours ' +
      '`Idempotency-Key`.',
    request: { body: ZScheduleCreate },
    permission: 'reports:manage',
    idempotent: true,
    response: { status: 201, description: 'The schedule', schema: ZSchedule },
    problems: [404, 409],
    handler: ({ input, actor, deps }) => deps.services.reports.schedules.create(actor, input.body),
  }),
  defineRoute({
    method: 'get',
    path: SCHEDULES,
    tags,
    summary: 'The caller’s report schedules',
    request: { query: ZListQuery },
    permission: 'reports:manage',
    response: { status: 200, description: 'A page of schedules', schema: ZScheduleList },
    handler: ({ input, actor, deps }) => deps.services.reports.schedules.list(actor, input.query),
  }),
  defineRoute({
    method: 'delete',
    path: `${SCHEDULES}/{id}`,
    tags,
    summary: 'Delete a report schedule (its reports stay)',
    request: { params: ZReportParams },
    permission: 'reports:manage',
    response: { status: 204, description: 'Deleted' },
    problems: [404],
    handler: ({ input, actor, deps }) => deps.services.reports.schedules.remove(actor, input.params.id),
  }),
];
