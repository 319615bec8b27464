import { changedRows, type TQueryable } from '../platform/db/tx.ts';
import type { TReportFormat, TReportKind } from './report-model.ts';

export type TReportStatus = 'queued' | 'running' | 'ready' | 'failed';
export const REPORT_STATUSES = ['queued', 'running', 'ready', 'failed'] as const;

/** What a report's request said (the body of POST /reports, normalized). */
export type TReportParams = {
  portfolio_id?: string;
  from?: string;
  to?: string;
  tax_year?: number;
  symbols?: string[];
  window?: number;
  benchmark?: string;
};

export type TReportRecord = {
  id: string;
  owner_id: string;
  kind: TReportKind;
  format: TReportFormat;
  params: TReportParams;
  status: TReportStatus;
  error: string | null;
  size: number | null;
  sha256: string | null;
  content_type: string | null;
  filename: string | null;
  schedule_id: string | null;
  period: string | null;
  created_at: string;
  ready_at: string | null;
  expires_at: string;
};

export const REPORT_CADENCES = ['monthly', 'quarterly', 'yearly'] as const;
export type TCadence = (typeof REPORT_CADENCES)[number];
export const SCHEDULED_KINDS = ['portfolio_statement', 'realized_gains'] as const;
export type TScheduledKind = (typeof SCHEDULED_KINDS)[number];

export type TScheduleRecord = {
  id: string;
  owner_id: string;
  kind: TScheduledKind;
  format: TReportFormat;
  portfolio_id: string;
  cadence: TCadence;
  last_period: string | null;
  created_at: string;
};

const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const REPORT_COLUMNS = `id, owner_id, kind, format, params, status, error, size::float8 AS size, sha256, content_type,
  filename, schedule_id, period, ${iso('created_at')} AS created_at, ${iso('ready_at')} AS ready_at,
  ${iso('expires_at')} AS expires_at`;
const SCHEDULE_COLUMNS = `id, owner_id, kind, format, portfolio_id, cadence, last_period, ${iso('created_at')} AS created_at`;

export async function insertReport(
  q: TQueryable,
  row: Pick<TReportRecord, 'owner_id' | 'kind' | 'format' | 'params'> & {
    retentionDays: number;
    schedule_id?: string;
    period?: string;
  },
): Promise<TReportRecord | null> {
  const rows: TReportRecord[] = await q.query(
    `INSERT INTO reports (owner_id, kind, format, params, schedule_id, period, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(days => $7))
     ON CONFLICT (schedule_id, period) WHERE schedule_id IS NOT NULL DO NOTHING
     RETURNING ${REPORT_COLUMNS}`,
    [row.owner_id, row.kind, row.format, row.params, row.schedule_id ?? null, row.period ?? null, row.retentionDays],
  );
  return rows[0] ?? null;
}

export async function findReport(q: TQueryable, id: string): Promise<TReportRecord | null> {
  const rows: TReportRecord[] = await q.query(`SELECT ${REPORT_COLUMNS} FROM reports WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

export async function listReports(
  q: TQueryable,
  filter: { ownerId: string; limit: number; before?: { at: string; id: string } },
): Promise<TReportRecord[]> {
  return q.query(
    `SELECT ${REPORT_COLUMNS} FROM reports
     WHERE owner_id = $1 AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))
     ORDER BY created_at DESC, id DESC LIMIT $2`,
    [filter.ownerId, filter.limit, filter.before?.at ?? null, filter.before?.id ?? null],
  );
}

/** What an owner keeps: reports not failed (failed ones hold no content) and the bytes of the ready ones. */
export async function usageOf(q: TQueryable, ownerId: string): Promise<{ count: number; bytes: number }> {
  const [row] = (await q.query(
    `SELECT count(*)::int AS count, coalesce(sum(size), 0)::float8 AS bytes
     FROM reports WHERE owner_id = $1 AND status <> 'failed' AND expires_at > now()`,
    [ownerId],
  )) as { count: number; bytes: number }[];
  return row!;
}

/** queued/failed → running (a retry too); null when the report is gone or already ready. */
export async function markRunning(q: TQueryable, id: string): Promise<TReportRecord | null> {
  const rows = await changedRows<TReportRecord>(
    q,
    `UPDATE reports SET status = 'running', error = NULL WHERE id = $1 AND status <> 'ready' RETURNING ${REPORT_COLUMNS}`,
    [id],
  );
  return rows[0] ?? null;
}

export async function markReady(
  q: TQueryable,
  id: string,
  done: { size: number; sha256: string; content_type: string; filename: string; retentionDays: number },
): Promise<TReportRecord | null> {
  const rows = await changedRows<TReportRecord>(
    q,
    `UPDATE reports SET status = 'ready', error = NULL, size = $2, sha256 = $3, content_type = $4, filename = $5,
       ready_at = now(), expires_at = now() + make_interval(days => $6)
     WHERE id = $1 AND status = 'running' RETURNING ${REPORT_COLUMNS}`,
    [id, done.size, done.sha256, done.content_type, done.filename, done.retentionDays],
  );
  return rows[0] ?? null;
}

export async function markFailed(q: TQueryable, id: string, error: string): Promise<void> {
  await q.query(`UPDATE reports SET status = 'failed', error = left($2, 1000) WHERE id = $1 AND status <> 'ready'`, [
    id,
    error,
  ]);
}

export async function deleteReport(q: TQueryable, id: string): Promise<boolean> {
  const rows = await changedRows(q, `DELETE FROM reports WHERE id = $1 RETURNING id`, [id]);
  return rows.length > 0;
}

/** Up to `limit` expired reports' ids (their chunks go with them: ON DELETE CASCADE). */
export async function deleteExpired(q: TQueryable, asOf: Date, limit: number): Promise<number> {
  const rows = await changedRows(
    q,
    `DELETE FROM reports WHERE id IN (SELECT id FROM reports WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2)
     RETURNING id`,
    [asOf, limit],
  );
  return rows.length;
}

/** The owner's standing now (a job acts for the owner as their role allows today). */
export async function ownerOf(
  q: TQueryable,
  userId: string,
): Promise<{ id: string; role: string; status: string } | null> {
  const rows: { id: string; role: string; status: string }[] = await q.query(
    'SELECT id, role, status FROM users WHERE id = $1',
    [userId],
  );
  return rows[0] ?? null;
}

export async function insertSchedule(
  q: TQueryable,
  row: Omit<TScheduleRecord, 'id' | 'created_at' | 'last_period'> & { last_period: string | null },
): Promise<TScheduleRecord> {
  const rows: TScheduleRecord[] = await q.query(
    `INSERT INTO report_schedules (owner_id, kind, format, portfolio_id, cadence, last_period)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${SCHEDULE_COLUMNS}`,
    [row.owner_id, row.kind, row.format, row.portfolio_id, row.cadence, row.last_period],
  );
  return rows[0]!;
}

export async function findSchedule(q: TQueryable, id: string): Promise<TScheduleRecord | null> {
  const rows: TScheduleRecord[] = await q.query(`SELECT ${SCHEDULE_COLUMNS} FROM report_schedules WHERE id = $1`, [
    id,
  ]);
  return rows[0] ?? null;
}

export async function listSchedules(
  q: TQueryable,
  filter: { ownerId?: string; limit: number; after?: { at: string; id: string } },
): Promise<TScheduleRecord[]> {
  return q.query(
    `SELECT ${SCHEDULE_COLUMNS} FROM report_schedules
     WHERE ($1::uuid IS NULL OR owner_id = $1)
       AND ($3::timestamptz IS NULL OR (created_at, id) > ($3::timestamptz, $4::uuid))
     ORDER BY created_at, id LIMIT $2`,
    [filter.ownerId ?? null, filter.limit, filter.after?.at ?? null, filter.after?.id ?? null],
  );
}

export async function countSchedules(q: TQueryable, ownerId: string): Promise<number> {
  const [row] = (await q.query('SELECT count(*)::int AS count FROM report_schedules WHERE owner_id = $1', [
    ownerId,
  ])) as { count: number }[];
  return row!.count;
}

export async function setLastPeriod(q: TQueryable, id: string, period: string): Promise<void> {
  await q.query('UPDATE report_schedules SET last_period = $2 WHERE id = $1', [id, period]);
}

export async function deleteSchedule(q: TQueryable, id: string): Promise<void> {
  await q.query('DELETE FROM report_schedules WHERE id = $1', [id]);
}
