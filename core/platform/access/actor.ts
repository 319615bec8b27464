import { AppError, ErrorCode } from '../errors/app-error.ts';
import { ROLE_PERMISSIONS, type TPermission, type TRole } from './permissions.ts';

/**
 * Who is asking, on every request and in every service call: an anonymous caller (by IP), a user
 * with a session (an access token), or an API key acting for its owner with at most the owner's
 * permissions. Services decide what an actor may see; routes only check the coarse permission.
 */
export type TActor =
  | { kind: 'anonymous'; ip: string; permissions: ReadonlySet<TPermission> }
  | {
      kind: 'user';
      userId: string;
      role: TRole;
      sessionId: string;
      ip: string;
      permissions: ReadonlySet<TPermission>;
    }
  | {
      kind: 'api_key';
      userId: string;
      role: TRole;
      keyId: string;
      ip: string;
      permissions: ReadonlySet<TPermission>;
    };

export type TAuthenticatedActor = Exclude<TActor, { kind: 'anonymous' }>;

export const anonymous = (ip: string, permissions: readonly TPermission[]): TActor => ({
  kind: 'anonymous',
  ip,
  permissions: new Set(permissions),
});

export const can = (actor: TActor, permission: TPermission): boolean => actor.permissions.has(permission);

/** Who holds what, with or without a request: an actor, or a user's standing from their role alone. */
export type TSubject = { userId?: string; permissions: ReadonlySet<TPermission> };

/**
 * The one rule for reaching an owned resource (a portfolio, an alert, a webhook endpoint): its owner,
 * or a holder of the feature's cross-owner permission (`portfolios:admin`, `alerts:admin`). Decided by
 * permission, never by role name, so an admin's key scoped to `alerts:manage` reaches only its owner's.
 */
export const ownsOrMay = (subject: TSubject, ownerId: string, permission: TPermission): boolean =>
  (subject.userId !== undefined && subject.userId === ownerId) || subject.permissions.has(permission);

/** A user's standing outside any request (alert evaluation, deliveries): what their role grants now. */
export const standingOf = (user: { id: string; role: TRole }): TSubject => ({
  userId: user.id,
  permissions: new Set(ROLE_PERMISSIONS[user.role]),
});

/** The stable name of a principal: rate limits and private cache entries are keyed by it. */
export function principalOf(actor: TActor): string {
  if (actor.kind === 'anonymous') return `ip:${actor.ip}`;
  return actor.kind === 'user' ? `user:${actor.userId}` : `key:${actor.keyId}`;
}

/** Throws the problem a route answers when `actor` lacks `permission`: 401 when anonymous, else 403. */
export function requirePermission(actor: TActor, permission: TPermission): void {
  if (can(actor, permission)) return;
  if (actor.kind === 'anonymous') {
    throw new AppError(ErrorCode.Unauthorized, {
      detail: 'This needs an authenticated caller: send a bearer access token or an API key.',
    });
  }
  throw new AppError(ErrorCode.Forbidden, { detail: `This needs the permission ${permission}.` });
}

/** The user an authenticated actor acts for; 401 for anonymous callers. */
export function requireUser(actor: TActor): TAuthenticatedActor {
  if (actor.kind === 'anonymous') {
    throw new AppError(ErrorCode.Unauthorized, { detail: 'This needs an authenticated caller.' });
  }
  return actor;
}

/**
 * A record the actor may see: `manage` to ask at all, then the owner, or a holder of `admin`. Anyone
 * else gets `notFound()` (a 404), as if it did not exist, so ids do not leak.
 */
export async function requireOwned<T extends { owner_id: string }>(
  actor: TActor,
  permissions: { manage: TPermission; admin: TPermission },
  find: () => Promise<T | null>,
  notFound: () => Error,
): Promise<T> {
  requirePermission(actor, permissions.manage);
  const user = requireUser(actor);
  const found = await find();
  if (!found || !ownsOrMay(user, found.owner_id, permissions.admin)) throw notFound();
  return found;
}
