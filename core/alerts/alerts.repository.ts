import { changedRows, type TQueryable } from '../platform/db/tx.ts';
import type { TRole } from '../platform/access/index.ts';
import type { TAlertKind, TAlertMetric, TAlertState } from './rules.ts';

export type TAlertRecord = {
  id: string;
  owner_id: string;
  kind: TAlertKind;
  symbol: string | null;
  portfolio_id: string | null;
  metric: TAlertMetric | null;
  direction: 'above' | 'below';
  threshold: string | null;
  window_hours: number | null;
  cooldown_seconds: number;
  enabled: boolean;
  state: TAlertState;
  last_value: string | null;
  last_evaluated_at: string | null;
  last_fired_at: string | null;
  created_at: string;
};
export type TNewAlert = Omit<
  TAlertRecord,
  'id' | 'state' | 'last_value' | 'last_evaluated_at' | 'last_fired_at' | 'created_at'
>;
export type TAlertEventRecord = {
  id: string;
  alert_id: string;
  fired_at: string;
  event: Record<string, unknown>;
};

const COLUMNS = `id, owner_id, kind, symbol, portfolio_id, metric, direction, trim_scale(threshold)::text AS threshold,
  window_hours, cooldown_seconds, enabled, state, last_value, last_evaluated_at, last_fired_at, created_at`;
const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());
const toRecord = (row: Record<string, unknown>): TAlertRecord => ({
  ...(row as TAlertRecord),
  last_evaluated_at: iso(row.last_evaluated_at as Date | null),
  last_fired_at: iso(row.last_fired_at as Date | null),
  created_at: iso(row.created_at as Date)!,
});
const toEvent = (row: Record<string, unknown>): TAlertEventRecord => ({
  id: String(row.id),
  alert_id: row.alert_id as string,
  fired_at: iso(row.fired_at as Date)!,
  event: row.event as Record<string, unknown>,
});

export async function insertAlert(q: TQueryable, alert: TNewAlert): Promise<TAlertRecord> {
  const [row] = await q.query(
    `INSERT INTO alerts (owner_id, kind, symbol, portfolio_id, metric, direction, threshold, window_hours, cooldown_seconds, enabled)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${COLUMNS}`,
    [
      alert.owner_id,
      alert.kind,
      alert.symbol,
      alert.portfolio_id,
      alert.metric,
      alert.direction,
      alert.threshold,
      alert.window_hours,
      alert.cooldown_seconds,
      alert.enabled,
    ],
  );
  return toRecord(row);
}

export async function countAlerts(q: TQueryable, ownerId: string): Promise<number> {
  const [{ count }] = await q.query(`SELECT count(*)::int AS count FROM alerts WHERE owner_id = $1`, [
    ownerId,
  ]);
  return count;
}

export async function findAlert(q: TQueryable, id: string, options: { forUpdate?: boolean } = {}) {
  const rows = await q.query(
    `SELECT ${COLUMNS} FROM alerts WHERE id = $1${options.forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ? toRecord(rows[0]) : null;
}

export async function listAlerts(q: TQueryable, ownerId: string): Promise<TAlertRecord[]> {
  const rows = await q.query(`SELECT ${COLUMNS} FROM alerts WHERE owner_id = $1 ORDER BY created_at, id`, [
    ownerId,
  ]);
  return rows.map(toRecord);
}

/** Enabled alerts on coins (some, or all when `symbols` is null) or on one portfolio. */
export async function alertsToEvaluate(
  q: TQueryable,
  target: { symbols: string[] | null } | { portfolioId: string },
): Promise<TAlertRecord[]> {
  const rows =
    'portfolioId' in target
      ? await q.query(`SELECT ${COLUMNS} FROM alerts WHERE enabled AND portfolio_id = $1 ORDER BY id`, [
          target.portfolioId,
        ])
      : await q.query(
          `SELECT ${COLUMNS} FROM alerts
           WHERE enabled AND (symbol IS NOT NULL AND ($1::text[] IS NULL OR symbol = ANY ($1::text[]))
                              OR (portfolio_id IS NOT NULL AND $1::text[] IS NULL))
           ORDER BY id`,
          [target.symbols],
        );
  return rows.map(toRecord);
}

export async function updateAlert(
  q: TQueryable,
  id: string,
  change: Partial<Pick<TAlertRecord, 'enabled' | 'threshold' | 'cooldown_seconds'>>,
): Promise<TAlertRecord> {
  const [row] = await changedRows<Record<string, unknown>>(
    q,
    `UPDATE alerts SET enabled = COALESCE($2, enabled), threshold = COALESCE($3::numeric, threshold),
       cooldown_seconds = COALESCE($4, cooldown_seconds),
       -- A new threshold is a new condition: it starts armed.
       state = CASE WHEN $3::numeric IS NULL THEN state ELSE 'armed' END
     WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, change.enabled ?? null, change.threshold ?? null, change.cooldown_seconds ?? null],
  );
  return toRecord(row!);
}

export async function deleteAlert(q: TQueryable, id: string): Promise<void> {
  await q.query(`DELETE FROM alerts WHERE id = $1`, [id]);
}

export async function recordEvaluation(
  q: TQueryable,
  id: string,
  outcome: { state: TAlertState; value: string | null; fired: boolean; at: Date },
): Promise<void> {
  await q.query(
    `UPDATE alerts SET state = $2, last_value = COALESCE($3, last_value), last_evaluated_at = $4,
       last_fired_at = CASE WHEN $5 THEN $4 ELSE last_fired_at END
     WHERE id = $1`,
    [id, outcome.state, outcome.value, outcome.at, outcome.fired],
  );
}

export async function insertEvent(
  q: TQueryable,
  event: { alert_id: string; owner_id: string; at: Date; event: Record<string, unknown> },
): Promise<TAlertEventRecord> {
  const [row] = await q.query(
    `INSERT INTO alert_events (alert_id, owner_id, fired_at, event) VALUES ($1, $2, $3, $4)
     RETURNING id, alert_id, fired_at, event`,
    [event.alert_id, event.owner_id, event.at, event.event],
  );
  return toEvent(row);
}

export async function listEvents(
  q: TQueryable,
  alertId: string,
  page: { limit: number; before?: string },
): Promise<TAlertEventRecord[]> {
  const rows = await q.query(
    `SELECT id, alert_id, fired_at, event FROM alert_events
     WHERE alert_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint) ORDER BY id DESC LIMIT $3`,
    [alertId, page.before ?? null, page.limit],
  );
  return rows.map(toEvent);
}

/** An owner's events after `afterId`, oldest first (SSE resume). */
export async function eventsAfter(q: TQueryable, ownerId: string, afterId: string, limit: number) {
  const rows = await q.query(
    `SELECT id, alert_id, fired_at, event FROM alert_events WHERE owner_id = $1 AND id > $2::bigint ORDER BY id LIMIT $3`,
    [ownerId, afterId, limit],
  );
  return rows.map(toEvent);
}

export type TAlertOwnerRow = {
  id: string;
  role: TRole;
  status: 'active' | 'suspended';
  /** The owner of the portfolio the alert watches; null for coin alerts and for a portfolio that is gone. */
  portfolio_owner_id: string | null;
};

/**
 * The alert owner's account as it is now and, for a portfolio alert, who owns that portfolio. `share`
 * holds the owner's row until the caller's transaction ends, so a suspension or role change waits for
 * a firing decided under the old standing (and one committed first is seen).
 */
export async function alertOwner(
  q: TQueryable,
  alert: Pick<TAlertRecord, 'owner_id' | 'portfolio_id'>,
  options: { share?: boolean } = {},
): Promise<TAlertOwnerRow | null> {
  const [row] = await q.query(
    `SELECT u.id, u.role, u.status, p.owner_id AS portfolio_owner_id
     FROM users u LEFT JOIN portfolios p ON p.id = $2
     WHERE u.id = $1${options.share ? ' FOR SHARE OF u' : ''}`,
    [alert.owner_id, alert.portfolio_id],
  );
  return row ?? null;
}
