import { changedRows, type TQueryable } from '../platform/db/tx.ts';

export type TAuditRow = {
  id: string;
  at: string;
  actor_type: 'anonymous' | 'user' | 'api_key' | 'system';
  actor_id: string | null;
  actor_user_id: string | null;
  ip: string | null;
  request_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  outcome: 'success' | 'failure' | 'denied';
  details: Record<string, unknown>;
};

export type TAuditInsert = Omit<TAuditRow, 'id' | 'at'>;

export type TAuditFilter = {
  actor?: string;
  action?: string;
  target?: string;
  from?: Date;
  to?: Date;
  /** Keyset cursor: rows strictly older than (at, id). */
  before?: { at: string; id: string };
  /** Oldest first instead, strictly after (at, id) when given (the reports' audit export). */
  after?: { at: string; id: string } | 'start';
  limit: number;
};

/** Appends one event, on the caller's transaction when it has one. */
export async function insertAudit(q: TQueryable, row: TAuditInsert): Promise<void> {
  await q.query(
    `INSERT INTO audit_events (actor_type, actor_id, actor_user_id, ip, request_id, action, target_type, target_id, outcome, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)`,
    [
      row.actor_type,
      row.actor_id,
      row.actor_user_id,
      row.ip,
      row.request_id,
      row.action,
      row.target_type,
      row.target_id,
      row.outcome,
      JSON.stringify(row.details),
    ],
  );
}

/** Newest first, filtered; `actor` matches the acting user or key id, `target` the target id. */
export async function listAudit(q: TQueryable, filter: TAuditFilter): Promise<TAuditRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replaceAll('?', `$${params.length}`));
  };
  if (filter.actor) add('(actor_id = ? OR actor_user_id::text = ?)', filter.actor);
  if (filter.action) add('action = ?', filter.action);
  if (filter.target) add('target_id = ?', filter.target);
  if (filter.from) add('at >= ?', filter.from);
  if (filter.to) add('at <= ?', filter.to);
  if (filter.before) {
    params.push(filter.before.at, filter.before.id);
    where.push(`(at, id) < ($${params.length - 1}::timestamptz, $${params.length}::bigint)`);
  }
  if (filter.after && filter.after !== 'start') {
    params.push(filter.after.at, filter.after.id);
    where.push(`(at, id) > ($${params.length - 1}::timestamptz, $${params.length}::bigint)`);
  }
  const order = filter.after ? 'at, id' : 'at DESC, id DESC';
  params.push(filter.limit);
  const rows: (Omit<TAuditRow, 'at' | 'id'> & { at: Date; id: string })[] = await q.query(
    `SELECT id::text, at, actor_type, actor_id, actor_user_id, ip, request_id, action, target_type, target_id, outcome, details
     FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY ${order} LIMIT $${params.length}`,
    params,
  );
  return rows.map((row) => ({ ...row, at: row.at.toISOString() }));
}

/**
 * Retention: removes events older than `days` before `asOf`, the one deletion the append-only trigger
 * allows, in short batches (oldest first, through the time index) so the log stays writable meanwhile.
 */
export async function deleteAuditOlderThan(
  db: { transaction: <T>(work: (q: TQueryable) => Promise<T>) => Promise<T> },
  options: { days: number; asOf?: Date; batchSize?: number },
): Promise<{ deleted: number; cutoff: string }> {
  const cutoff = new Date((options.asOf ?? new Date()).getTime() - options.days * 86_400_000);
  const batchSize = options.batchSize ?? 5000;
  let deleted = 0;
  for (;;) {
    const count = await db.transaction(async (tx) => {
      await tx.query(`SET LOCAL trading.audit_retention = 'on'`);
      const rows = await changedRows(
        tx,
        `DELETE FROM audit_events WHERE id IN (
           SELECT id FROM audit_events WHERE at < $1 ORDER BY at LIMIT $2)
         RETURNING 1`,
        [cutoff, batchSize],
      );
      return rows.length;
    });
    deleted += count;
    if (count < batchSize) break;
  }
  return { deleted, cutoff: cutoff.toISOString() };
}
