import type { TRole } from '../platform/access/index.ts';
import { changedRows, type TQueryable } from '../platform/db/tx.ts';

export type TUserStatus = 'active' | 'suspended';

export type TUserRecord = {
  id: string;
  email: string;
  display_name: string;
  role: TRole;
  status: TUserStatus;
  created_at: string;
  last_login_at: string | null;
};

type TUserRow = Omit<TUserRecord, 'created_at' | 'last_login_at'> & {
  created_at: Date;
  last_login_at: Date | null;
  password_hash: string;
};

const COLUMNS = 'id, email, display_name, role, status, created_at, last_login_at';

const toRecord = (row: TUserRow): TUserRecord => ({
  id: row.id,
  email: row.email,
  display_name: row.display_name,
  role: row.role,
  status: row.status,
  created_at: row.created_at.toISOString(),
  last_login_at: row.last_login_at?.toISOString() ?? null,
});

export async function insertUser(
  q: TQueryable,
  user: { email: string; display_name: string; role: TRole; password_hash: string },
): Promise<TUserRecord> {
  const [row]: TUserRow[] = await q.query(
    `INSERT INTO users (email, display_name, role, password_hash) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
    [user.email, user.display_name, user.role, user.password_hash],
  );
  return toRecord(row!);
}

/** A user by email, any case, with the password hash (for logins only). */
export async function findUserForLogin(
  q: TQueryable,
  email: string,
): Promise<(TUserRecord & { password_hash: string }) | null> {
  const [row]: TUserRow[] = await q.query(
    `SELECT ${COLUMNS}, password_hash FROM users WHERE lower(email) = lower($1)`,
    [email],
  );
  return row ? { ...toRecord(row), password_hash: row.password_hash } : null;
}

export async function findUser(
  q: TQueryable,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<TUserRecord | null> {
  const [row]: TUserRow[] = await q.query(
    `SELECT ${COLUMNS} FROM users WHERE id = $1${options.forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return row ? toRecord(row) : null;
}

export async function passwordHashOf(q: TQueryable, id: string): Promise<string | null> {
  const [row]: { password_hash: string }[] = await q.query('SELECT password_hash FROM users WHERE id = $1', [
    id,
  ]);
  return row?.password_hash ?? null;
}

export async function setPasswordHash(q: TQueryable, id: string, hash: string): Promise<void> {
  await q.query('UPDATE users SET password_hash = $2, password_changed_at = now() WHERE id = $1', [id, hash]);
}

export async function touchLogin(q: TQueryable, id: string): Promise<void> {
  await q.query('UPDATE users SET last_login_at = now() WHERE id = $1', [id]);
}

export async function updateUser(
  q: TQueryable,
  id: string,
  change: { role?: TRole; status?: TUserStatus; display_name?: string },
): Promise<TUserRecord | null> {
  const [row] = await changedRows<TUserRow>(
    q,
    `UPDATE users SET role = COALESCE($2, role), status = COALESCE($3, status), display_name = COALESCE($4, display_name)
     WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, change.role ?? null, change.status ?? null, change.display_name ?? null],
  );
  return row ? toRecord(row) : null;
}

/** Active admins, locked: changes that could remove the last one serialise on these rows. */
export async function lockActiveAdmins(q: TQueryable): Promise<string[]> {
  const rows: { id: string }[] = await q.query(
    `SELECT id FROM users WHERE role = 'admin' AND status = 'active' ORDER BY id FOR UPDATE`,
  );
  return rows.map((row) => row.id);
}

export type TUserSearch = {
  email?: string;
  role?: TRole;
  status?: TUserStatus;
  after?: { created_at: string; id: string };
  limit: number;
};

/** Oldest first (a stable order for cursors); `email` matches a substring, any case. */
export async function searchUsers(q: TQueryable, search: TUserSearch): Promise<TUserRecord[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (search.email) {
    params.push(`%${search.email.replace(/[\\%_]/g, (char) => `\\${char}`)}%`);
    where.push(`email ILIKE $${params.length}`);
  }
  if (search.role) {
    params.push(search.role);
    where.push(`role = $${params.length}`);
  }
  if (search.status) {
    params.push(search.status);
    where.push(`status = $${params.length}`);
  }
  if (search.after) {
    params.push(search.after.created_at, search.after.id);
    where.push(`(created_at, id) > ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  params.push(search.limit);
  const rows: TUserRow[] = await q.query(
    `SELECT ${COLUMNS} FROM users ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY created_at, id LIMIT $${params.length}`,
    params,
  );
  return rows.map(toRecord);
}

export async function adminExists(q: TQueryable): Promise<boolean> {
  const [row]: { exists: boolean }[] = await q.query(
    `SELECT EXISTS (SELECT 1 FROM users WHERE role = 'admin' AND status = 'active') AS exists`,
  );
  return row!.exists;
}
