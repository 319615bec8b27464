import type { TRole } from '../platform/access/index.ts';
import { changedRows, type TQueryable } from '../platform/db/tx.ts';
import type { TUserStatus } from './users.repository.ts';

export async function insertSession(
  q: TQueryable,
  session: { user_id: string; expires_at: Date; ip: string | null; user_agent: string | null },
): Promise<string> {
  const [row]: { id: string }[] = await q.query(
    `INSERT INTO sessions (user_id, expires_at, ip, user_agent) VALUES ($1, $2, $3, $4) RETURNING id`,
    [session.user_id, session.expires_at, session.ip, session.user_agent?.slice(0, 300) ?? null],
  );
  return row!.id;
}

/** What an access token's session says at this moment: the user's role and status, the session's state. */
export async function sessionState(
  q: TQueryable,
  sessionId: string,
  userId: string,
): Promise<{ role: TRole; status: TUserStatus; revoked: boolean; expired: boolean } | null> {
  const [row]: { role: TRole; status: TUserStatus; revoked: boolean; expired: boolean }[] = await q.query(
    `SELECT u.role, u.status, s.revoked_at IS NOT NULL AS revoked, s.expires_at <= now() AS expired
     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1 AND s.user_id = $2`,
    [sessionId, userId],
  );
  return row ?? null;
}

/** Ends sessions of a user (all, or all but one); returns how many were open. */
export async function revokeSessions(
  q: TQueryable,
  userId: string,
  reason: string,
  options: { except?: string; only?: string } = {},
): Promise<number> {
  const rows = await changedRows(
    q,
    `UPDATE sessions SET revoked_at = now(), revoke_reason = $2
     WHERE user_id = $1 AND revoked_at IS NULL AND ($3::uuid IS NULL OR id <> $3) AND ($4::uuid IS NULL OR id = $4)
     RETURNING 1`,
    [userId, reason, options.except ?? null, options.only ?? null],
  );
  return rows.length;
}

export async function insertRefreshToken(
  q: TQueryable,
  token: { hash: Buffer; session_id: string; expires_at: Date },
): Promise<void> {
  await q.query(`INSERT INTO refresh_tokens (token_hash, session_id, expires_at) VALUES ($1, $2, $3)`, [
    token.hash,
    token.session_id,
    token.expires_at,
  ]);
}

export type TRefreshUse =
  | { outcome: 'unknown' }
  | { outcome: 'reused' | 'expired' | 'inactive'; session_id: string; user_id: string }
  | { outcome: 'ok'; session_id: string; user_id: string };

/**
 * Spends a refresh token, atomically: the first use of a valid token succeeds; any other presentation
 * of it (a replay, or the loser of two concurrent uses) is `reused`, which means theft to the caller.
 */
export async function spendRefreshToken(q: TQueryable, hash: Buffer): Promise<TRefreshUse> {
  const [row]: {
    session_id: string;
    user_id: string;
    spent_now: boolean;
    expired: boolean;
    inactive: boolean;
  }[] = await q.query(
    `WITH spent AS (
       UPDATE refresh_tokens SET used_at = now()
       WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
       RETURNING session_id
     )
     SELECT t.session_id, s.user_id, EXISTS (SELECT 1 FROM spent) AS spent_now,
            t.expires_at <= now() AS expired,
            (s.revoked_at IS NOT NULL OR s.expires_at <= now() OR u.status <> 'active') AS inactive
     FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id JOIN users u ON u.id = s.user_id
     WHERE t.token_hash = $1`,
    [hash],
  );
  if (!row) return { outcome: 'unknown' };
  const ids = { session_id: row.session_id, user_id: row.user_id };
  if (row.expired) return { outcome: 'expired', ...ids };
  if (!row.spent_now) return { outcome: 'reused', ...ids };
  if (row.inactive) return { outcome: 'inactive', ...ids };
  return { outcome: 'ok', ...ids };
}

export async function touchSession(q: TQueryable, sessionId: string): Promise<void> {
  await q.query('UPDATE sessions SET last_used_at = now() WHERE id = $1', [sessionId]);
}
