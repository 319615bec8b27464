import type { DataSource } from 'typeorm';
import type { TAuditActor, TAuditService } from '../audit/index.ts';
import { requirePermission, type TActor, type TRole } from '../platform/access/index.ts';
import { inTransaction, type TQueryable } from '../platform/db/tx.ts';
import { AppError, ErrorCode } from '../platform/errors/app-error.ts';
import { keysetPage } from '../platform/paging.ts';
import { validPassword } from './password-change.ts';
import { hashPassword } from './passwords.ts';
import { revokeSessions } from './sessions.repository.ts';
import {
  adminExists,
  findUser,
  insertUser,
  lockActiveAdmins,
  searchUsers,
  updateUser,
  type TUserRecord,
  type TUserSearch,
  type TUserStatus,
} from './users.repository.ts';

export type TNewUser = { email: string; password: string; role: TRole; display_name: string };

const notFound = (id: string) => new AppError(ErrorCode.NotFound, { detail: `No user with id "${id}".` });

/** The position after `user`: where the next page starts (`<created_at>~<id>`). */
const cursorAfter = (user: TUserRecord) => `${user.created_at}~${user.id}`;

function emailTaken(error: unknown): boolean {
  return (error as { driverError?: { code?: string } }).driverError?.code === '23505';
}

/** User administration (the moderation half of BACKEND-007), and the ways accounts come to exist. */
export function createUserAdminService(deps: {
  db: DataSource;
  audit: TAuditService;
  /** Told after commit when a user's sessions end or their standing changes (live streams re-check). */
  credentialsChanged?: (userId: string) => Promise<void>;
}) {
  const { db, audit } = deps;
  const credentialsChanged = (userId: string) =>
    (deps.credentialsChanged?.(userId) ?? Promise.resolve()).catch(() => undefined);

  async function create(
    tx: TQueryable,
    who: TAuditActor,
    input: TNewUser,
    via: string,
  ): Promise<TUserRecord> {
    validPassword(input.password, input.email);
    const passwordHash = await hashPassword(input.password);
    try {
      const user = await insertUser(tx, { ...input, password_hash: passwordHash });
      await audit.record(tx, who, {
        action: 'user.create',
        outcome: 'success',
        target: { type: 'user', id: user.id },
        details: { role: user.role, via },
      });
      return user;
    } catch (error) {
      if (emailTaken(error))
        throw new AppError(ErrorCode.Conflict, { detail: 'A user with this email already exists.' });
      throw error;
    }
  }

  /**
   * Admins cannot remove the last active admin, by demotion or suspension. A change of role or status
   * locks the active admins (in id order) before the target's row: two admins demoting each other then
   * queue on the same first row instead of each holding the row the other needs (a deadlock).
   */
  async function lockTarget(
    tx: TQueryable,
    id: string,
    change: { role?: TRole; status?: TUserStatus },
  ): Promise<TUserRecord> {
    const admins = change.role !== undefined || change.status !== undefined ? await lockActiveAdmins(tx) : [];
    const target = await findUser(tx, id, { forUpdate: true });
    if (!target) throw notFound(id);
    const stopsBeingAdmin =
      target.role === 'admin' &&
      target.status === 'active' &&
      ((change.role !== undefined && change.role !== 'admin') || change.status === 'suspended');
    if (stopsBeingAdmin && admins.filter((admin) => admin !== target.id).length === 0) {
      throw new AppError(ErrorCode.Conflict, {
        detail: 'This is the last active admin; make another admin first.',
      });
    }
    return target;
  }

  return {
    async register(actor: TActor, input: TNewUser): Promise<TUserRecord> {
      requirePermission(actor, 'users:admin');
      return inTransaction(db, (tx) => create(tx, actor, input, 'admin'));
    },

    async search(actor: TActor, query: Omit<TUserSearch, 'after'> & { cursor?: { at: string; id: string } }) {
      requirePermission(actor, 'users:admin');
      const { cursor, ...filter } = query;
      return keysetPage(
        query.limit,
        (limit) =>
          searchUsers(db, {
            ...filter,
            limit,
            ...(cursor ? { after: { created_at: cursor.at, id: cursor.id } } : {}),
          }),
        cursorAfter,
      );
    },

    async get(actor: TActor, id: string): Promise<TUserRecord> {
      requirePermission(actor, 'users:admin');
      return (await findUser(db, id)) ?? Promise.reject(notFound(id));
    },

    /** Role, status or name. Suspending ends the user's sessions at once; their keys stop working at once. */
    async update(
      actor: TActor,
      id: string,
      change: { role?: TRole; status?: TUserStatus; display_name?: string },
    ): Promise<TUserRecord> {
      requirePermission(actor, 'users:admin');
      const updated = await inTransaction(db, async (tx) => {
        const before = await lockTarget(tx, id, change);
        const after = (await updateUser(tx, id, change))!;
        const ended = change.status === 'suspended' ? await revokeSessions(tx, id, 'suspended') : 0;
        await audit.record(tx, actor, {
          action: 'user.update',
          outcome: 'success',
          target: { type: 'user', id },
          details: {
            ...(change.role && change.role !== before.role ? { role: [before.role, after.role] } : {}),
            ...(change.status && change.status !== before.status
              ? { status: [before.status, after.status] }
              : {}),
            ...(change.display_name ? { display_name: after.display_name } : {}),
            ...(ended ? { sessions_ended: ended } : {}),
          },
        });
        return { after, changed: after.role !== before.role || after.status !== before.status };
      });
      if (updated.changed) await credentialsChanged(id);
      return updated.after;
    },

    async revokeSessions(actor: TActor, id: string): Promise<{ sessions_ended: number }> {
      requirePermission(actor, 'users:admin');
      const ended = await inTransaction(db, async (tx) => {
        if (!(await findUser(tx, id))) throw notFound(id);
        const ended = await revokeSessions(tx, id, 'revoked by an admin');
        await audit.record(tx, actor, {
          action: 'user.revoke_sessions',
          outcome: 'success',
          target: { type: 'user', id },
          details: { sessions_ended: ended },
        });
        return { sessions_ended: ended };
      });
      await credentialsChanged(id);
      return ended;
    },

    /** For operators (npm run admin) and the bootstrap: an account without an acting user. */
    createBySystem(input: TNewUser, via: string): Promise<TUserRecord> {
      return inTransaction(db, (tx) => create(tx, { kind: 'system' }, input, via));
    },

    /**
     * The first admin, from BOOTSTRAP_ADMIN_EMAIL/PASSWORD, when no active admin exists. Replicas starting
     * together serialise on an advisory lock, so exactly one creates it.
     */
    async bootstrapAdmin(
      email: string | undefined,
      password: string | undefined,
    ): Promise<TUserRecord | null> {
      if (!email || !password) return null;
      return inTransaction(db, async (tx) => {
        await tx.query(`SELECT pg_advisory_xact_lock(hashtext('trading-backend:bootstrap-admin'))`);
        if (await adminExists(tx)) return null;
        return create(
          tx,
          { kind: 'system' },
          { email, password, role: 'admin', display_name: 'Administrator' },
          'bootstrap',
        );
      });
    },
  };
}
