import { changedRows, type TQueryable } from '../platform/db/tx.ts';

export const WEBHOOK_EVENTS = ['alert.fired', 'limit.breached', 'endpoint.disabled', 'report.ready'] as const;
export type TWebhookEvent = (typeof WEBHOOK_EVENTS)[number];
/** Sent by POST …/test only, whatever the endpoint subscribes to. */
export const TEST_EVENT = 'webhook.test';

export type TEndpointRecord = {
  id: string;
  owner_id: string;
  url: string;
  description: string;
  events: TWebhookEvent[];
  status: 'enabled' | 'disabled';
  disabled_reason: string | null;
  consecutive_failures: number;
  previous_secret_until: string | null;
  created_at: string;
  updated_at: string;
};
export type TEndpointSecrets = { secret_box: string; previous_secret_box: string | null };

export type TDeliveryStatus = 'pending' | 'succeeded' | 'retrying' | 'dead';
export type TDeliveryRecord = {
  id: string;
  endpoint_id: string;
  event_type: string;
  status: TDeliveryStatus;
  attempts: number;
  /** Redeliveries so far: each starts a new round of attempts. */
  round: number;
  last_status_code: number | null;
  last_error: string | null;
  last_latency_ms: number | null;
  next_attempt_at: string | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
};

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());
const ENDPOINT_COLUMNS = `id, owner_id, url, description, events, status, disabled_reason, consecutive_failures,
  previous_secret_until, created_at, updated_at`;
const DELIVERY_COLUMNS = `id, endpoint_id, event_type, status, attempts, round, last_status_code, last_error, last_latency_ms,
  next_attempt_at, created_at, updated_at, delivered_at`;

/** A row with its timestamp columns as ISO strings (pg gives Dates). */
const withIsoTimes =
  <T>(...columns: string[]) =>
  (row: Record<string, unknown>): T =>
    ({
      ...row,
      ...Object.fromEntries(columns.map((column) => [column, iso(row[column] as Date | null)])),
    }) as T;

const endpoint = withIsoTimes<TEndpointRecord>('previous_secret_until', 'created_at', 'updated_at');
const delivery = withIsoTimes<TDeliveryRecord>('next_attempt_at', 'created_at', 'updated_at', 'delivered_at');

export async function insertEndpoint(
  q: TQueryable,
  input: { owner_id: string; url: string; description: string; events: string[]; secret_box: string },
): Promise<TEndpointRecord> {
  const [row] = await q.query(
    `INSERT INTO webhook_endpoints (owner_id, url, description, events, secret_box)
     VALUES ($1, $2, $3, $4, $5) RETURNING ${ENDPOINT_COLUMNS}`,
    [input.owner_id, input.url, input.description, input.events, input.secret_box],
  );
  return endpoint(row);
}

export async function countEndpoints(q: TQueryable, ownerId: string): Promise<number> {
  const [{ count }] = await q.query(
    `SELECT count(*)::int AS count FROM webhook_endpoints WHERE owner_id = $1`,
    [ownerId],
  );
  return count;
}

export async function findEndpoint(
  q: TQueryable,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<(TEndpointRecord & TEndpointSecrets) | null> {
  const rows = await q.query(
    `SELECT ${ENDPOINT_COLUMNS}, secret_box, previous_secret_box FROM webhook_endpoints WHERE id = $1${options.forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0]
    ? {
        ...endpoint(rows[0]),
        secret_box: rows[0].secret_box,
        previous_secret_box: rows[0].previous_secret_box,
      }
    : null;
}

export async function listEndpoints(q: TQueryable, ownerId: string): Promise<TEndpointRecord[]> {
  const rows = await q.query(
    `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE owner_id = $1 ORDER BY created_at, id`,
    [ownerId],
  );
  return rows.map(endpoint);
}

/** The owner's enabled endpoints subscribed to `event`. */
export async function subscribers(q: TQueryable, ownerId: string, event: string): Promise<TEndpointRecord[]> {
  const rows = await q.query(
    `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints
     WHERE owner_id = $1 AND status = 'enabled' AND $2 = ANY (events) ORDER BY created_at, id`,
    [ownerId, event],
  );
  return rows.map(endpoint);
}

export async function deleteEndpoint(q: TQueryable, id: string): Promise<boolean> {
  return (await changedRows(q, `DELETE FROM webhook_endpoints WHERE id = $1 RETURNING id`, [id])).length > 0;
}

export async function rotateSecret(
  q: TQueryable,
  id: string,
  secretBox: string,
  previousUntil: Date,
): Promise<TEndpointRecord> {
  const [row] = await changedRows<Record<string, unknown>>(
    q,
    `UPDATE webhook_endpoints SET previous_secret_box = secret_box, previous_secret_until = $3, secret_box = $2, updated_at = now()
     WHERE id = $1 RETURNING ${ENDPOINT_COLUMNS}`,
    [id, secretBox, previousUntil],
  );
  return endpoint(row!);
}

export async function setEndpointState(
  q: TQueryable,
  id: string,
  change: { status?: 'enabled' | 'disabled'; disabled_reason?: string | null; consecutive_failures?: number },
): Promise<TEndpointRecord | null> {
  const [row] = await changedRows<Record<string, unknown>>(
    q,
    `UPDATE webhook_endpoints SET status = COALESCE($2, status),
       disabled_reason = CASE WHEN $2::text IS NULL THEN disabled_reason ELSE $3 END,
       consecutive_failures = COALESCE($4, consecutive_failures), updated_at = now()
     WHERE id = $1 RETURNING ${ENDPOINT_COLUMNS}`,
    [id, change.status ?? null, change.disabled_reason ?? null, change.consecutive_failures ?? null],
  );
  return row ? endpoint(row) : null;
}

export async function insertDeliveries(
  q: TQueryable,
  rows: { id: string; endpoint_id: string; event_type: string; body: string }[],
): Promise<void> {
  if (!rows.length) return;
  await q.query(
    `INSERT INTO webhook_deliveries (id, endpoint_id, event_type, body)
     SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[])`,
    [
      rows.map((r) => r.id),
      rows.map((r) => r.endpoint_id),
      rows.map((r) => r.event_type),
      rows.map((r) => r.body),
    ],
  );
}

export async function findDelivery(
  q: TQueryable,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<(TDeliveryRecord & { body: string }) | null> {
  const rows = await q.query(
    `SELECT ${DELIVERY_COLUMNS}, body FROM webhook_deliveries WHERE id = $1${options.forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ? { ...delivery(rows[0]), body: rows[0].body } : null;
}

export async function listDeliveries(
  q: TQueryable,
  endpointId: string,
  filter: { status?: TDeliveryStatus; limit: number; before?: { created_at: string; id: string } },
): Promise<TDeliveryRecord[]> {
  const rows = await q.query(
    `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries
     WHERE endpoint_id = $1 AND ($2::text IS NULL OR status = $2)
       AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::text))
     ORDER BY created_at DESC, id DESC LIMIT $5`,
    [
      endpointId,
      filter.status ?? null,
      filter.before?.created_at ?? null,
      filter.before?.id ?? null,
      filter.limit,
    ],
  );
  return rows.map(delivery);
}

export async function recordAttempt(
  q: TQueryable,
  id: string,
  outcome: {
    status: TDeliveryStatus;
    status_code: number | null;
    error: string | null;
    latency_ms: number | null;
    next_attempt_at: Date | null;
  },
): Promise<void> {
  await q.query(
    `UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, last_status_code = $3, last_error = $4,
       last_latency_ms = $5, next_attempt_at = $6, updated_at = now(),
       delivered_at = CASE WHEN $2 = 'succeeded' THEN now() ELSE delivered_at END
     WHERE id = $1`,
    [id, outcome.status, outcome.status_code, outcome.error, outcome.latency_ms, outcome.next_attempt_at],
  );
}

/** A redelivery starts a fresh round of attempts. */
export async function resetDelivery(q: TQueryable, id: string): Promise<void> {
  await q.query(
    `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, round = round + 1, next_attempt_at = NULL, updated_at = now() WHERE id = $1`,
    [id],
  );
}

/** Deliveries of the first round never attempted and created before `before` (oldest first, at most 500). */
export async function stalledDeliveries(q: TQueryable, before: Date): Promise<string[]> {
  const rows: { id: string }[] = await q.query(
    `SELECT id FROM webhook_deliveries WHERE status = 'pending' AND attempts = 0 AND round = 0 AND created_at < $1
     ORDER BY created_at LIMIT 500`,
    [before],
  );
  return rows.map((row) => row.id);
}

/** What decides whether an endpoint's owner may still receive: their account's status and role. */
export async function ownerStanding(
  q: TQueryable,
  ownerId: string,
): Promise<{ status: string; role: string } | null> {
  const rows = await q.query(`SELECT status, role FROM users WHERE id = $1`, [ownerId]);
  return rows[0] ? { status: rows[0].status, role: rows[0].role } : null;
}

/** A delivery that will not be sent (its owner may no longer receive): dead, with why, no attempt counted. */
export async function withholdDelivery(q: TQueryable, id: string, reason: string): Promise<void> {
  await q.query(
    `UPDATE webhook_deliveries SET status = 'dead', last_status_code = NULL, last_error = $2, last_latency_ms = NULL,
       next_attempt_at = NULL, updated_at = now() WHERE id = $1`,
    [id, reason],
  );
}

/** A page of endpoints' sealed secrets after `afterId` (by id), locked until the transaction ends. */
export async function lockSealedSecrets(
  q: TQueryable,
  afterId: string | null,
  limit: number,
): Promise<({ id: string } & TEndpointSecrets)[]> {
  return q.query(
    `SELECT id, secret_box, previous_secret_box FROM webhook_endpoints
     WHERE $1::uuid IS NULL OR id > $1::uuid ORDER BY id LIMIT $2 FOR UPDATE`,
    [afterId, limit],
  );
}

export async function replaceSealedSecrets(
  q: TQueryable,
  id: string,
  secrets: TEndpointSecrets,
): Promise<void> {
  await q.query(
    `UPDATE webhook_endpoints SET secret_box = $2, previous_secret_box = $3, updated_at = now() WHERE id = $1`,
    [id, secrets.secret_box, secrets.previous_secret_box],
  );
}
