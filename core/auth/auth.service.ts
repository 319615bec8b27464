import type { DataSource } from 'typeorm';
import type { TAuditService } from '../audit/index.ts';
import {
  anonymous,
  requireUser,
  type TActor,
  type TPermission,
  type TRole,
} from '../platform/access/index.ts';
import { inTransaction } from '../platform/db/tx.ts';
import { AppError, ErrorCode } from '../platform/errors/app-error.ts';
import type { TKeyRing } from './access-tokens.ts';
import { createActorResolver } from './actors.ts';
import type { TLoginLimiter } from './login-limiter.ts';
import { createPasswordChange, validPassword } from './password-change.ts';
import { hashPassword } from './passwords.ts';
import { createSessionLifecycle, invalidCredentials } from './sessions.service.ts';
import { findUser, insertUser, type TUserRecord } from './users.repository.ts';

export type TAuthSettings = {
  refreshTokenDays: number;
  publicMarketData: boolean;
  signup: 'open' | 'closed';
  signupRole: TRole;
};

/**
 * Accounts and credentials, one part a job: who is asking (actors.ts: tokens and API keys resolved to
 * an actor), the session lifecycle (sessions.service.ts: login, refresh, logout), password changes
 * (password-change.ts); this file keeps the account itself (me, sign-up).
 */
export function createAuthService(deps: {
  db: DataSource;
  keys: TKeyRing;
  limiter: TLoginLimiter;
  audit: TAuditService;
  settings: TAuthSettings;
  /**
   * Told after a user's sessions or keys ended or changed (logout, a reused refresh token, a password
   * change), after commit: live streams opened with them re-check and end.
   */
  credentialsChanged?: (userId: string) => Promise<void>;
  now?: () => Date;
}) {
  const { db, keys, limiter, audit, settings } = deps;
  const now = deps.now ?? (() => new Date());
  const credentialsChanged = (userId: string) =>
    (deps.credentialsChanged?.(userId) ?? Promise.resolve()).catch(() => undefined);
  const resolver = createActorResolver({ db, keys, audit, publicMarketData: settings.publicMarketData, now });

  return {
    keys,

    ...resolver,

    ...createSessionLifecycle({
      db,
      keys,
      limiter,
      audit,
      refreshTokenDays: settings.refreshTokenDays,
      credentialsChanged,
      now,
    }),

    /** Changes one's password (password-change.ts). */
    changePassword: createPasswordChange({ db, audit, limiter, credentialsChanged }),

    /** The caller's own account, and what this very credential may do. */
    async me(
      actor: TActor,
    ): Promise<TUserRecord & { permissions: TPermission[]; via: 'session' | 'api_key' }> {
      const user = requireUser(actor);
      const record = await findUser(db, user.userId);
      if (!record) throw invalidCredentials();
      return {
        ...record,
        permissions: [...actor.permissions].sort(),
        via: actor.kind === 'user' ? 'session' : 'api_key',
      };
    },

    /** Self sign-up, only while AUTH_SIGNUP=open: a new account with the sign-up role. */
    async signup(
      input: { email: string; password: string; display_name: string },
      client: { ip: string },
    ): Promise<TUserRecord> {
      if (settings.signup !== 'open') {
        throw new AppError(ErrorCode.Forbidden, {
          detail: 'Sign-up is closed here; an admin registers new users (AUTH_SIGNUP=open opens it).',
        });
      }
      validPassword(input.password, input.email);
      const passwordHash = await hashPassword(input.password);
      return inTransaction(db, async (tx) => {
        const user = await insertUser(tx, {
          ...input,
          role: settings.signupRole,
          password_hash: passwordHash,
        });
        await audit.record(tx, anonymous(client.ip, []), {
          action: 'user.create',
          outcome: 'success',
          target: { type: 'user', id: user.id },
          details: { role: user.role, via: 'signup' },
        });
        return user;
      });
    },
  };
}
