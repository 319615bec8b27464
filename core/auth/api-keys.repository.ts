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
  /** The key that made this one; null when a session made it. */
  created_by_key_id: string | null;
};

type TApiKeyRow = Omit<TApiKeyRecord, 'created_at' | 'expires_at' | 'last_used_at' | 'revoked_at'> & {
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
};

const COLUMNS =
  'id, user_id, name, prefix, scopes, created_at, expires_at, last_used_at, revoked_at, created_by_key_id';
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
    created_by_key_id: string | null;
  },
): Promise<TApiKeyRecord> {
  const [row]: TApiKeyRow[] = await q.query(
    `INSERT INTO api_keys (user_id, name, prefix, key_hash, scopes, expires_at, created_by_key_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
    [key.user_id, key.name, key.prefix, key.hash, key.scopes, key.expires_at, key.created_by_key_id],
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

/** A key by id; `lock` takes its row (`FOR UPDATE` to revoke it, `FOR SHARE` to make a key under it). */
export async function findApiKey(
  q: TQueryable,
  id: string,
  options: { lock?: 'update' | 'share' } = {},
): Promise<TApiKeyRecord | null> {
  const lock = options.lock === 'update' ? ' FOR UPDATE' : options.lock === 'share' ? ' FOR SHARE' : '';
  const [row]: TApiKeyRow[] = await q.query(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1${lock}`, [id]);
  return row ? toRecord(row) : null;
}

/**
 * Revokes a key and every key made under it (by it, or by those, and so on) not revoked yet. Returns
 * the key itself when this revoked it (null when it already was) and how many keys under it went too.
 */
export async function revokeApiKey(
  q: TQueryable,
  id: string,
  revokedBy: string,
): Promise<{ key: TApiKeyRecord | null; descendants: number }> {
  const rows = await changedRows<TApiKeyRow>(
    q,
    `WITH RECURSIVE tree AS (
       SELECT id FROM api_keys WHERE id = $1
       UNION
       SELECT k.id FROM api_keys k JOIN tree t ON k.created_by_key_id = t.id
     )
     UPDATE api_keys SET revoked_at = now(), revoked_by = $2
     WHERE id IN (SELECT id FROM tree) AND revoked_at IS NULL RETURNING ${COLUMNS}`,
    [id, revokedBy],
  );
  const own = rows.find((row) => row.id === id);
  return { key: own ? toRecord(own) : null, descendants: rows.length - (own ? 1 : 0) };
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

/**
 * A key and the keys that made it (the chain up to one a session made), joined with the owner: the key
 * counts as revoked or expired when any key of its chain is, whatever raced with the revocation's cascade.
 */
const credentialWhere = (where: string) => `
  WITH RECURSIVE chain AS (
    SELECT k.id, k.created_by_key_id, k.revoked_at, k.expires_at, 0 AS depth FROM api_keys k WHERE ${where}
    UNION ALL
    SELECT p.id, p.created_by_key_id, p.revoked_at, p.expires_at, c.depth + 1
    FROM api_keys p JOIN chain c ON p.id = c.created_by_key_id WHERE c.depth < 100
  )
  SELECT k.id, k.user_id, k.scopes, u.role, u.status,
         EXISTS (SELECT 1 FROM chain WHERE revoked_at IS NOT NULL) AS revoked,
         EXISTS (SELECT 1 FROM chain WHERE expires_at <= now()) AS expired
  FROM api_keys k JOIN users u ON u.id = k.user_id WHERE ${where}`;

/** What a presented key stands for: one probe of the unique hash index, its chain, its owner. */
export async function keyCredential(q: TQueryable, hash: Buffer): Promise<TKeyCredential | null> {
  const [row]: TKeyCredential[] = await q.query(credentialWhere('k.key_hash = $1'), [hash]);
  return row ?? null;
}

/** The same, by id: whether a key an open stream was authorized with still stands. */
export async function keyCredentialById(q: TQueryable, id: string): Promise<TKeyCredential | null> {
  const [row]: TKeyCredential[] = await q.query(credentialWhere('k.id = $1'), [id]);
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

/** Revokes every key of a user still in force; returns how many. */
export async function revokeAllApiKeys(q: TQueryable, userId: string, revokedBy: string): Promise<number> {
  const rows = await changedRows(
    q,
    `UPDATE api_keys SET revoked_at = now(), revoked_by = $2 WHERE user_id = $1 AND revoked_at IS NULL RETURNING 1`,
    [userId, revokedBy],
  );
  return rows.length;
}
