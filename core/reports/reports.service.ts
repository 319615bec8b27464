import { PassThrough } from 'node:stream';
import type { DataSource } from 'typeorm';
import type { TAuditService } from '../audit/index.ts';
import { createPriceReader } from '../market/index.ts';
import {
  requireOwned,
  requirePermission,
  requireUser,
  ROLE_PERMISSIONS,
  type TActor,
  type TRole,
} from '../platform/access/index.ts';
import { inTransaction, lockKey } from '../platform/db/tx.ts';
import { AppError, ErrorCode } from '../platform/errors/app-error.ts';
import type { TJobs } from '../platform/jobs/index.ts';
import { keysetPage, timeCursor } from '../platform/paging.ts';
import type { TPortfoliosService } from '../portfolios/index.ts';
import type { TRiskService } from '../risk/index.ts';
import type { TWebhooksService } from '../webhooks/index.ts';
import { createGatherer, DEFAULT_BENCHMARK, isPermanent, periodOf } from './gather.ts';
import { closedSince, lastClosed, previousPeriod } from './periods.ts';
import { renderReport, reportMedia } from './render.ts';
import type { TReportFormat, TReportKind } from './report-model.ts';
import type { TByteRange, TReportStore } from './report-store.ts';
import {
  countSchedules,
  deleteExpired,
  deleteReport,
  deleteSchedule,
  findReport,
  findSchedule,
  insertReport,
  insertSchedule,
  listReports,
  listSchedules,
  markFailed,
  markReady,
  markRunning,
  ownerOf,
  setLastPeriod,
  usageOf,
  type TCadence,
  type TReportParams,
  type TReportRecord,
  type TScheduledKind,
  type TScheduleRecord,
} from './reports.repository.ts';

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

const PERMISSIONS = { manage: 'reports:manage', admin: 'reports:admin' } as const;

const notFound = (what: string, id: string) =>
  new AppError(ErrorCode.NotFound, { detail: `No ${what} with id "${id}".` });
const quotaExceeded = (quota: string, limit: number, what: string) =>
  new AppError(ErrorCode.Conflict, {
    detail: `At most ${limit} ${what} (${quota.toUpperCase()}); delete some first.`,
    extensions: { reason: 'quota_exceeded', quota, limit },
  });
const beyondData = (detail: string) =>
  new AppError(ErrorCode.Unprocessable, { detail, extensions: { reason: 'period_beyond_data' } });
const isoDay = (date: Date) => date.toISOString().slice(0, 10);

/** A download's file name: ASCII only, so Content-Disposition needs no encoding. */
export function filenameOf(report: Pick<TReportRecord, 'id' | 'kind' | 'format' | 'params'>): string {
  const { params } = report;
  const scope = params.symbols ? params.symbols.join('-') : params.portfolio_id ? params.portfolio_id.slice(0, 8) : 'all';
  const period = params.tax_year
    ? String(params.tax_year)
    : params.from
      ? `${params.from}_${params.to}`
      : (params.to ?? '');
  const name = [report.kind.replaceAll('_', '-'), scope, period].filter(Boolean).join('_');
  return `${name.replace(/[^A-Za-z0-9._-]/g, '-')}.${reportMedia(report.kind, report.format).file_extension}`;
}

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

  async function enqueueRender(report: TReportRecord) {
    await deps.jobs.enqueue('render-report', { report_id: report.id });
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
          extensions: { reason: 'report_not_ready', status: report.status },
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

    /** The job's work: gather the model as the owner, render it into the store, mark it ready, tell the owner. */
    async render(reportId: string, onProgress: (percent: number) => Promise<void> = async () => undefined) {
      const report = await markRunning(db, reportId);
      if (!report) return { report_id: reportId, status: 'skipped' };
      const owner = await ownerOf(db, report.owner_id);
      if (!owner || owner.status !== 'active') {
        await markFailed(db, reportId, `the report’s owner is ${owner ? owner.status : 'gone'}`);
        return { report_id: reportId, status: 'failed' };
      }
      const actor: TActor = {
        kind: 'user',
        userId: owner.id,
        role: owner.role as TRole,
        sessionId: `report:${reportId}`,
        ip: '127.0.0.1',
        permissions: new Set(ROLE_PERMISSIONS[owner.role as TRole] ?? []),
      };
      const generatedAt = now();
      try {
        const model = await gather(report.kind, actor, report.params);
        await onProgress(30);
        const pipe = new PassThrough({ highWaterMark: 64 * 1024 });
        const [written, rendered] = await Promise.allSettled([
          store.write(reportId, pipe).catch((error: unknown) => {
            pipe.destroy(error as Error);
            throw error;
          }),
          renderReport(report.kind, report.format, model, pipe, { generatedAt }).catch((error: unknown) => {
            pipe.destroy(error as Error);
            throw error;
          }),
        ]);
        if (written.status === 'rejected') throw written.reason;
        if (rendered.status === 'rejected') throw rendered.reason;
        await onProgress(90);
        const media = reportMedia(report.kind, report.format);
        const { ready, deliveries } = await inTransaction(db, async (tx) => {
          const done = await markReady(tx, reportId, {
            ...written.value,
            content_type: media.content_type,
            filename: filenameOf(report),
            retentionDays: settings.retentionDays,
          });
          if (!done) return { ready: null, deliveries: [] };
          const ids = await deps.webhooks.stage(tx, report.owner_id, 'report.ready', {
            report_id: done.id,
            kind: done.kind,
            format: done.format,
            size: done.size,
            sha256: done.sha256,
            expires_at: done.expires_at,
            download_url: `/api/v1/reports/${done.id}/download`,
            ...(done.period ? { period: done.period, schedule_id: done.schedule_id } : {}),
          });
          return { ready: done, deliveries: ids };
        });
        await deps.webhooks.schedule(deliveries);
        if (!ready) {
          await store.delete(reportId);
          return { report_id: reportId, status: 'deleted' };
        }
        return { report_id: reportId, status: 'ready', size: ready.size, sha256: ready.sha256 };
      } catch (error) {
        await markFailed(db, reportId, error instanceof AppError ? error.detail : (error as Error).message);
        if (isPermanent(error)) return { report_id: reportId, status: 'failed', reason: (error as AppError).detail };
        throw error;
      }
    },

    /** The scheduler's work: each schedule's closed periods since its last, each made once (a unique index). */
    async runSchedules(asOf: Date) {
      let created = 0;
      let schedules = 0;
      let after: { at: string; id: string } | undefined;
      for (;;) {
        const page = await listSchedules(db, { limit: 500, ...(after ? { after } : {}) });
        for (const schedule of page) {
          schedules += 1;
          const last = schedule.last_period ?? previousPeriod(schedule.cadence, lastClosed(schedule.cadence, asOf).key).key;
          for (const period of closedSince(schedule.cadence, last, asOf, settings.catchUpPeriods)) {
            const params: TReportParams = {
              portfolio_id: schedule.portfolio_id,
              ...(schedule.cadence === 'yearly' ? { tax_year: Number(period.key) } : { from: period.from, to: period.to }),
            };
            const report =
              (await insertReport(db, {
                owner_id: schedule.owner_id,
                kind: schedule.kind,
                format: schedule.format,
                params,
                retentionDays: settings.retentionDays,
                schedule_id: schedule.id,
                period: period.key,
              })) ?? null;
            if (report) {
              created += 1;
              await enqueueRender(report);
            }
            await setLastPeriod(db, schedule.id, period.key);
          }
        }
        if (page.length < 500) break;
        after = { at: page.at(-1)!.created_at, id: page.at(-1)!.id };
      }
      return { schedules, created };
    },

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

    schedules: {
      async create(
        actor: TActor,
        input: { kind: TScheduledKind; format: TReportFormat; portfolio_id: string; cadence: TCadence },
      ): Promise<TScheduleRecord> {
        requirePermission(actor, 'reports:manage');
        const { userId } = requireUser(actor);
        await deps.portfolios.get(actor, input.portfolio_id);
        return inTransaction(db, async (tx) => {
          await lockKey(tx, `quota:report-schedules:${userId}`);
          if ((await countSchedules(tx, userId)) >= settings.schedulesPerUser)
            throw quotaExceeded('report_schedules_per_user', settings.schedulesPerUser, 'report schedules per user');
          // The first report is the last period closed by now; later ones follow as periods close.
          const last = previousPeriod(input.cadence, lastClosed(input.cadence, now()).key).key;
          return insertSchedule(tx, { ...input, owner_id: userId, last_period: last });
        });
      },

      async list(actor: TActor, query: { limit: number; cursor?: { at: string; id: string } }) {
        requirePermission(actor, 'reports:manage');
        const { userId } = requireUser(actor);
        return keysetPage(
          query.limit,
          (limit) => listSchedules(db, { ownerId: userId, limit, ...(query.cursor ? { after: query.cursor } : {}) }),
          (last) => timeCursor(last.created_at, last.id),
        );
      },

      async remove(actor: TActor, id: string): Promise<void> {
        await requireOwned(actor, PERMISSIONS, () => findSchedule(db, id), () => notFound('report schedule', id));
        await deleteSchedule(db, id);
      },
    },
  };
}
