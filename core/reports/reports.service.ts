import type { DataSource } from 'typeorm';
import type { TAuditService } from '../audit/index.ts';
import { createPriceReader } from '../market/index.ts';
import { requireOwned, requirePermission, requireUser, type TActor } from '../platform/access/index.ts';
import { inTransaction, lockKey } from '../platform/db/tx.ts';
import { AppError, ErrorCode } from '../platform/errors/app-error.ts';
import type { TJobs } from '../platform/jobs/index.ts';
import { keysetPage, timeCursor } from '../platform/paging.ts';
import type { TPortfoliosService } from '../portfolios/index.ts';
import type { TRiskService } from '../risk/index.ts';
import type { TWebhooksService } from '../webhooks/index.ts';
import { createGatherer, DEFAULT_BENCHMARK, periodOf } from './gather.ts';
import { beyondData, isoDay, notFound, PERMISSIONS, quotaExceeded } from './refusals.ts';
import { createRenderJob } from './render-job.ts';
import type { TReportFormat, TReportKind } from './report-model.ts';
import type { TByteRange, TReportStore } from './report-store.ts';
import {
  deleteExpired,
  deleteReport,
  findReport,
  insertReport,
  listReports,
  usageOf,
  type TReportParams,
  type TReportRecord,
} from './reports.repository.ts';
import { createSchedulesService } from './schedules.service.ts';

export { filenameOf } from './render-job.ts';

export type TReportsService = ReturnType<typeof createReportsService>;

export type TReportSettings = {
  retentionDays: number;
  reportsPerUser: number;
  bytesPerUser: number;
  schedulesPerUser: number;
  /** A schedule idle for longer catches up on at most this many periods. */
  catchUpPeriods: number;
};

export type TReportRequest = TReportParams & { kind: TReportKind; format: TReportFormat };

/** What the API shows of a report: its record and where to follow it. */
const shown = (report: TReportRecord) => ({
  ...report,
  status_url: `/api/v1/reports/${report.id}`,
  download_url: report.status === 'ready' ? `/api/v1/reports/${report.id}/download` : null,
});

/**
 * Reports: requested over the API (or made by a schedule), rendered by the `render-report` job into the
 * store, downloaded by their owner (and holders of reports:admin), deleted after the retention. The
 * job acts as the owner with the permissions their role holds when it runs.
 */
export function createReportsService(deps: {
  db: DataSource;
  store: TReportStore;
  portfolios: TPortfoliosService;
  risk: TRiskService;
  audit: TAuditService;
  webhooks: TWebhooksService;
  jobs: TJobs<'render-report'>;
  settings: TReportSettings;
  now?: () => Date;
}) {
  const { db, store, settings } = deps;
  const now = deps.now ?? (() => new Date());
  const gather = createGatherer(deps);
  const prices = createPriceReader(db);

  const enqueueRender = async (report: TReportRecord) => {
    await deps.jobs.enqueue('render-report', { report_id: report.id });
  };
  const render = createRenderJob({
    db,
    store,
    gather,
    webhooks: deps.webhooks,
    retentionDays: settings.retentionDays,
    now,
  });
  const schedules = createSchedulesService({ db, portfolios: deps.portfolios, settings, enqueueRender, now });

  const owned = (actor: TActor, id: string) =>
    requireOwned(actor, PERMISSIONS, () => findReport(db, id), () => notFound('report', id));

  /** 404 naming the symbols (coins or the benchmark) the platform does not know. */
  async function requireKnown(symbols: string[]) {
    const known = await prices.coins(symbols);
    const unknown = [...new Set(symbols.filter((symbol) => !known.has(symbol)))];
    if (unknown.length)
      throw new AppError(ErrorCode.NotFound, {
        detail: `No cryptocurrency with symbol ${unknown.map((symbol) => `"${symbol}"`).join(', ')}.`,
        extensions: { unknown_symbols: unknown },
      });
  }

  /** Refuses what no job could make: a portfolio the caller cannot see, a period with no data. */
  async function check(actor: TActor, request: TReportRequest): Promise<TReportParams> {
    const today = isoDay(now());
    const { kind, format: _format, ...params } = request;
    if (kind === 'audit_export') requirePermission(actor, 'audit:read');
    if (kind === 'coin_risk') {
      await requireKnown([...params.symbols!, params.benchmark ?? DEFAULT_BENCHMARK]);
      if (params.to && params.to > today) throw beyondData(`to: ${params.to} is after today (${today}); there is no data yet`);
      return { ...params, to: params.to ?? today };
    }
    const period = periodOf(params);
    if (period.from > today)
      throw beyondData(`The period starts on ${period.from}, after today (${today}); there is no data yet.`);
    if (kind === 'audit_export') return params;
    const portfolio = await deps.portfolios.get(actor, params.portfolio_id!);
    if (kind === 'portfolio_statement') {
      await requireKnown([params.benchmark ?? DEFAULT_BENCHMARK]);
      const first = (await deps.portfolios.listTransactions(actor, portfolio.id, { limit: 1 })).data[0];
      if (!first) throw beyondData('The portfolio has no transactions yet.');
      const firstDay = first.timestamp.slice(0, 10);
      if (period.to < firstDay)
        throw beyondData(`The period ends on ${period.to}, before the portfolio's first transaction (${firstDay}).`);
      // Days after today have no data yet: the statement ends today.
      if (period.to > today) return { ...params, ...(params.tax_year ? {} : { to: today }) };
    }
    return params;
  }

  return {
    /** A new report, queued for the worker; within the owner's quotas (counted under a lock per owner). */
    async create(actor: TActor, request: TReportRequest) {
      requirePermission(actor, 'reports:manage');
      const { userId } = requireUser(actor);
      const params = await check(actor, request);
      const report = await inTransaction(db, async (tx) => {
        await lockKey(tx, `quota:reports:${userId}`);
        const usage = await usageOf(tx, userId);
        if (usage.count >= settings.reportsPerUser)
          throw quotaExceeded('reports_per_user', settings.reportsPerUser, 'reports per user');
        if (usage.bytes >= settings.bytesPerUser)
          throw quotaExceeded('report_bytes_per_user', settings.bytesPerUser, 'bytes of reports per user');
        return (await insertReport(tx, {
          owner_id: userId,
          kind: request.kind,
          format: request.format,
          params,
          retentionDays: settings.retentionDays,
        }))!;
      });
      await enqueueRender(report);
      return shown(report);
    },

    async list(actor: TActor, query: { limit: number; cursor?: { at: string; id: string } }) {
      requirePermission(actor, 'reports:manage');
      const { userId } = requireUser(actor);
      const page = await keysetPage(
        query.limit,
        (limit) => listReports(db, { ownerId: userId, limit, ...(query.cursor ? { before: query.cursor } : {}) }),
        (last) => timeCursor(last.created_at, last.id),
      );
      return { ...page, data: page.data.map(shown) };
    },

    get: async (actor: TActor, id: string) => shown(await owned(actor, id)),

    /** A ready report's record and its content (or a byte range of it), streamed from the store. */
    async open(actor: TActor, id: string) {
      const report = await owned(actor, id);
      if (report.status !== 'ready')
        throw new AppError(ErrorCode.Conflict, {
          detail: `Report ${id} is ${report.status}${report.error ? ` (${report.error})` : ''}, not ready.`,
          extensions: { reason: 'report_not_ready', report_status: report.status },
        });
      return {
        report: report as TReportRecord & { size: number; sha256: string; content_type: string; filename: string },
        read: (range?: TByteRange) => store.read(id, range),
      };
    },

    async remove(actor: TActor, id: string): Promise<void> {
      await owned(actor, id);
      await deleteReport(db, id);
    },

    /** The job's work (render-job.ts). */
    render,

    /** The scheduler's work (schedules.service.ts). */
    runSchedules: schedules.run,

    /** The retention: reports past their expiry, with their content, in batches. */
    async cleanup(asOf: Date, batchSize: number) {
      let deleted = 0;
      for (let round = 0; round < 1000; round += 1) {
        const count = await deleteExpired(db, asOf, batchSize);
        deleted += count;
        if (count < batchSize) break;
      }
      return { deleted };
    },

    schedules: { create: schedules.create, list: schedules.list, remove: schedules.remove },
  };
}
