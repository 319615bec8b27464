import { PassThrough } from 'node:stream';
import type { DataSource } from 'typeorm';
import { ROLE_PERMISSIONS, type TActor, type TRole } from '../platform/access/index.ts';
import { inTransaction } from '../platform/db/tx.ts';
import { AppError } from '../platform/errors/app-error.ts';
import type { TWebhooksService } from '../webhooks/index.ts';
import { isPermanent, type createGatherer } from './gather.ts';
import { renderReport, reportMedia } from './render.ts';
import type { TReportStore } from './report-store.ts';
import { markFailed, markReady, markRunning, ownerOf, type TReportRecord } from './reports.repository.ts';

/** A download's file name: ASCII only, so Content-Disposition needs no encoding. */
export function filenameOf(report: Pick<TReportRecord, 'id' | 'kind' | 'format' | 'params'>): string {
  const { params } = report;
  const scope = params.symbols
    ? params.symbols.join('-')
    : params.portfolio_id
      ? params.portfolio_id.slice(0, 8)
      : 'all';
  const period = params.tax_year ? String(params.tax_year) : params.from ? `${params.from}_${params.to}` : (params.to ?? '');
  const name = [report.kind.replaceAll('_', '-'), scope, period].filter(Boolean).join('_');
  return `${name.replace(/[^A-Za-z0-9._-]/g, '-')}.${reportMedia(report.kind, report.format).file_extension}`;
}

/**
 * The `render-report` job's work: gather the model as the owner (with what their role holds now), render
 * it into a pipe the store reads (neither holds the whole report), then, in one transaction, mark it
 * ready and stage the owner's `report.ready` webhook deliveries (scheduled after the commit). A refusal
 * (an AppError: the portfolio gone, too little history, the size cap) fails the report for good;
 * anything else fails this attempt, and BullMQ tries again.
 */
export function createRenderJob(deps: {
  db: DataSource;
  store: TReportStore;
  gather: ReturnType<typeof createGatherer>;
  webhooks: TWebhooksService;
  retentionDays: number;
  now: () => Date;
}) {
  const { db, store, gather, now } = deps;
  return async function render(
    reportId: string,
    onProgress: (percent: number) => Promise<void> = async () => undefined,
  ) {
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
          retentionDays: deps.retentionDays,
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
  };
}
