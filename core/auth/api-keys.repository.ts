import type { TPermission, TRole } from '../platform/access/index.ts';
import { changedRows, type TQueryable } from '../platform/db/tx.ts';
import type { TUserStatus } from './users.repository.ts';

export type TApiKeyRecord = {
  id: string;
  user_id: string;
  name: string;
  prefix: string;
  scopes: TPermission[];
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
};

type TApiKeyRow = Omit<TApiKeyRecord, 'created_at' | 'expires_at' | 'last_used_at' | 'revoked_at'> & {
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
};

const COLUMNS = 'id, user_id, name, prefix, scopes, created_at, expires_at, last_used_at, revoked_at';
const iso = (date: Date | null) => date?.toISOString() ?? null;
const toRecord = (row: TApiKeyRow): TApiKeyRecord => ({
  ...row,
  created_at: row.created_at.toISOString(),
  expires_at: iso(row.expires_at),
  last_used_at: iso(row.last_used_at),
  revoked_at: iso(row.revoked_at),
});

export async function insertApiKey(
  q: TQueryable,
  key: {
    user_id: string;
    name: string;
    prefix: string;
    hash: Buffer;
    scopes: TPermission[];
    expires_at: Date | null;
  },
): Promise<TApiKeyRecord> {
  const [row]: TApiKeyRow[] = await q.query(
    `INSERT INTO api_keys (user_id, name, prefix, key_hash, scopes, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
     RETURNING ${COLUMNS}`,
    [key.user_id, key.name, key.prefix, key.hash, key.scopes, key.expires_at],
  );
  return toRecord(row!);
}

export async function listApiKeys(q: TQueryable, userId: string): Promise<TApiKeyRecord[]> {
  const rows: TApiKeyRow[] = await q.query(
    `SELECT ${COLUMNS} FROM api_keys WHERE user_id = $1 ORDER BY created_at, id`,
    [userId],
  );
  return rows.map(toRecord);
}

export async function findApiKey(q: TQueryable, id: string): Promise<TApiKeyRecord | null> {
  const [row]: TApiKeyRow[] = await q.query(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1`, [id]);
  return row ? toRecord(row) : null;
}

/** Revokes a key that is not revoked yet; null when there was nothing to revoke. */
export async function revokeApiKey(
  q: TQueryable,
  id: string,
  revokedBy: string,
): Promise<TApiKeyRecord | null> {
  const [row] = await changedRows<TApiKeyRow>(
    q,
    `UPDATE api_keys SET revoked_at = now(), revoked_by = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING ${COLUMNS}`,
    [id, revokedBy],
  );
  return row ? toRecord(row) : null;
}

export type TKeyCredential = {
  id: string;
  user_id: string;
  scopes: TPermission[];
  role: TRole;
  status: TUserStatus;
  revoked: boolean;
  expired: boolean;
};

/** What a presented key stands for: one probe of the unique hash index, joined with its owner. */
export async function keyCredential(q: TQueryable, hash: Buffer): Promise<TKeyCredential | null> {
  const [row]: TKeyCredential[] = await q.query(
    `SELECT k.id, k.user_id, k.scopes, u.role, u.status, k.revoked_at IS NOT NULL AS revoked,
            COALESCE(k.expires_at <= now(), false) AS expired
     FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = $1`,
    [hash],
  );
  return row ?? null;
}

/** Records use, at most once a minute per key (a write per request would be the price otherwise). */
export async function touchApiKey(q: TQueryable, id: string, ip: string): Promise<void> {
  await q.query(
    `UPDATE api_keys SET last_used_at = now(), last_used_ip = $2
     WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
    [id, ip],
  );
}
