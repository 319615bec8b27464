import type { DataSource } from 'typeorm';
import { requireOwned, requirePermission, requireUser, type TActor } from '../platform/access/index.ts';
import { inTransaction, lockKey } from '../platform/db/tx.ts';
import { keysetPage, timeCursor } from '../platform/paging.ts';
import type { TPortfoliosService } from '../portfolios/index.ts';
import { closedSince, lastClosed, previousPeriod } from './periods.ts';
import type { TReportFormat } from './report-model.ts';
import { notFound, PERMISSIONS, quotaExceeded } from './refusals.ts';
import {
  countSchedules,
  deleteSchedule,
  findSchedule,
  insertReport,
  insertSchedule,
  listSchedules,
  setLastPeriod,
  type TCadence,
  type TReportParams,
  type TReportRecord,
  type TScheduledKind,
  type TScheduleRecord,
} from './reports.repository.ts';

/**
 * Report schedules: a portfolio's statement or realized gains per month, quarter or year, each closed
 * period's report made once by the hourly `run-report-schedules` job (a unique index on schedule and
 * period), a missed run made up by the next one.
 */
export function createSchedulesService(deps: {
  db: DataSource;
  portfolios: TPortfoliosService;
  settings: { retentionDays: number; schedulesPerUser: number; catchUpPeriods: number };
  enqueueRender: (report: TReportRecord) => Promise<void>;
  now: () => Date;
}) {
  const { db, settings, now, enqueueRender } = deps;
  return {
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


  /** The scheduler's work: each schedule's closed periods since its last, each made once (a unique index). */
  async run(asOf: Date) {
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
  };
}
