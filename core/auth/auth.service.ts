import type { DataSource } from 'typeorm';
import type { TAuditService } from '../audit/index.ts';
import {
  anonymous,
  PUBLIC_PERMISSIONS,
  requireUser,
  ROLE_PERMISSIONS,
  type TActor,
  type TPermission,
  type TRole,
} from '../platform/access/index.ts';
import { inTransaction, type TQueryable } from '../platform/db/tx.ts';
import { AppError, ErrorCode } from '../platform/errors/app-error.ts';
import { issueAccessToken, looksLikeJwt, verifyAccessToken, type TKeyRing } from './access-tokens.ts';
import { keyCredential, touchApiKey } from './api-keys.repository.ts';
import type { TLoginLimiter } from './login-limiter.ts';
import {
  hashPassword,
  needsRehash,
  passwordProblem,
  verifyAgainstNothing,
  verifyPassword,
} from './passwords.ts';
import { generateRefreshToken, isWellFormedApiKey, secretHash } from './secrets.ts';
import {
  insertRefreshToken,
  insertSession,
  revokeSessions,
  sessionState,
  spendRefreshToken,
  touchSession,
} from './sessions.repository.ts';
import {
  findUser,
  findUserForLogin,
  insertUser,
  passwordHashOf,
  setPasswordHash,
  touchLogin,
  type TUserRecord,
} from './users.repository.ts';

export type TAuthSettings = {
  refreshTokenDays: number;
  publicMarketData: boolean;
  signup: 'open' | 'closed';
  signupRole: TRole;
};

export type TTokenPair = {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
};

const DAY_MS = 86_400_000;

/** One answer for every bad login, whether the email exists or not. */
const invalidLogin = () => new AppError(ErrorCode.Unauthorized, { detail: 'Invalid email or password.' });
const invalidCredentials = (detail = 'The credentials are not valid.') =>
  new AppError(ErrorCode.Unauthorized, { detail });

export function validPassword(password: string, email?: string): void {
  const problem = passwordProblem(password, email);
  if (problem) {
    throw new AppError(ErrorCode.ValidationFailed, {
      detail: `password: ${problem}`,
      errors: [{ name: 'password', in: 'body', detail: problem }],
    });
  }
}

/** Permissions of an API key: its scopes, never more than its owner's role holds now. */
export const keyPermissions = (scopes: readonly TPermission[], role: TRole): TPermission[] =>
  scopes.filter((scope) => ROLE_PERMISSIONS[role].includes(scope));

export type TAuthService = ReturnType<typeof createAuthService>;

export function createAuthService(deps: {
  db: DataSource;
  keys: TKeyRing;
  limiter: TLoginLimiter;
  audit: TAuditService;
  settings: TAuthSettings;
  now?: () => Date;
}) {
  const { db, keys, limiter, audit, settings } = deps;
  const now = deps.now ?? (() => new Date());

  async function openSession(
    tx: TQueryable,
    userId: string,
    client: { ip: string; userAgent?: string },
  ): Promise<TTokenPair & { session_id: string }> {
    const sessionId = await insertSession(tx, {
      user_id: userId,
      expires_at: new Date(now().getTime() + settings.refreshTokenDays * DAY_MS),
      ip: client.ip,
      user_agent: client.userAgent ?? null,
    });
    return { ...(await tokensFor(tx, userId, sessionId)), session_id: sessionId };
  }

  async function tokensFor(tx: TQueryable, userId: string, sessionId: string): Promise<TTokenPair> {
    const refresh = generateRefreshToken();
    await insertRefreshToken(tx, {
      hash: secretHash(refresh),
      session_id: sessionId,
      expires_at: new Date(now().getTime() + settings.refreshTokenDays * DAY_MS),
    });
    const access = await issueAccessToken(keys, { userId, sessionId }, now());
    return {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
      refresh_token: refresh,
    };
  }

  /** A user session's actor, from a verified access token; null when the session or the user is no longer valid. */
  async function userActor(token: string, ip: string): Promise<TActor | null> {
    const claims = await verifyAccessToken(keys, token, now());
    if (!claims) return null;
    const state = await sessionState(db, claims.sid, claims.sub);
    // Checked on every request, so that logout, suspension and role changes apply at once.
    if (!state || state.revoked || state.expired || state.status !== 'active') return null;
    return {
      kind: 'user',
      userId: claims.sub,
      role: state.role,
      sessionId: claims.sid,
      ip,
      permissions: new Set(ROLE_PERMISSIONS[state.role]),
    };
  }

  async function keyActor(key: string, ip: string): Promise<TActor | null> {
    if (!isWellFormedApiKey(key)) return null; // a typo or a random string: no database lookup
    const credential = await keyCredential(db, secretHash(key));
    if (!credential) return null;
    if (credential.revoked) {
      await audit.recordAlone(
        { kind: 'anonymous', ip, permissions: new Set() },
        {
          action: 'api_key.use_after_revoke',
          outcome: 'denied',
          target: { type: 'api_key', id: credential.id },
          details: { user_id: credential.user_id },
        },
      );
      return null;
    }
    if (credential.expired || credential.status !== 'active') return null;
    void touchApiKey(db, credential.id, ip).catch(() => undefined);
    return {
      kind: 'api_key',
      userId: credential.user_id,
      role: credential.role,
      keyId: credential.id,
      ip,
      permissions: new Set(keyPermissions(credential.scopes, credential.role)),
    };
  }

  return {
    keys,

    /**
     * Who is asking: anonymous without credentials; a user for a valid access token; an API key's
     * owner (within the key's scopes) for a valid key, given as `Authorization: Bearer tbk_…`,
     * `X-API-Key` or, for the browser-only queue dashboard, as the password of HTTP Basic.
     * Credentials that are present but invalid are a 401.
     */
    async resolveActor(request: { authorization?: string; apiKey?: string; ip: string }): Promise<TActor> {
      const { authorization, apiKey, ip } = request;
      if (!authorization && !apiKey)
        return anonymous(ip, settings.publicMarketData ? PUBLIC_PERMISSIONS : []);
      let actor: TActor | null = null;
      if (apiKey) {
        actor = await keyActor(apiKey.trim(), ip);
      } else {
        const [scheme = '', value = ''] = authorization!.trim().split(/\s+/, 2);
        if (scheme.toLowerCase() === 'bearer') {
          actor = looksLikeJwt(value) ? await userActor(value, ip) : await keyActor(value, ip);
        } else if (scheme.toLowerCase() === 'basic') {
          const password = Buffer.from(value, 'base64').toString('utf8').split(':').slice(1).join(':');
          actor = await keyActor(password, ip);
        }
      }
      if (!actor) throw invalidCredentials();
      return actor;
    },

    async login(
      credentials: { email: string; password: string },
      client: { ip: string; userAgent?: string },
    ): Promise<TTokenPair> {
      const who = anonymous(client.ip, []);
      try {
        await limiter.check(credentials.email, client.ip);
      } catch (error) {
        await audit.recordAlone(who, {
          action: 'auth.login',
          outcome: 'denied',
          details: { email: credentials.email, reason: 'too many failures' },
        });
        throw error;
      }
      const user = await findUserForLogin(db, credentials.email);
      const ok = user
        ? await verifyPassword(credentials.password, user.password_hash)
        : await verifyAgainstNothing(credentials.password);
      if (!user || !ok || user.status !== 'active') {
        await limiter.failed(credentials.email, client.ip);
        await audit.recordAlone(who, {
          action: 'auth.login',
          outcome: 'failure',
          ...(user ? { target: { type: 'user', id: user.id } } : {}),
          details: {
            email: credentials.email,
            reason: !user ? 'unknown email' : !ok ? 'wrong password' : 'account suspended',
          },
        });
        throw invalidLogin();
      }
      await limiter.succeeded(credentials.email);
      const rehash = needsRehash(user.password_hash) ? await hashPassword(credentials.password) : null;
      return inTransaction(db, async (tx) => {
        if (rehash) await setPasswordHash(tx, user.id, rehash);
        await touchLogin(tx, user.id);
        const { session_id: sessionId, ...tokens } = await openSession(tx, user.id, client);
        await audit.record(
          tx,
          {
            kind: 'user',
            userId: user.id,
            role: user.role,
            sessionId,
            ip: client.ip,
            permissions: new Set(),
          },
          {
            action: 'auth.login',
            outcome: 'success',
            target: { type: 'user', id: user.id },
            details: { session_id: sessionId },
          },
        );
        return tokens;
      });
    },

    /**
     * Trades a refresh token for a new pair, spending it. A token presented twice means it was copied:
     * the whole session (every token of the family) is revoked, and the holder must log in again.
     */
    async refresh(refreshToken: string, client: { ip: string }): Promise<TTokenPair> {
      const who = anonymous(client.ip, []);
      return inTransaction(db, async (tx) => {
        const use = await spendRefreshToken(tx, secretHash(refreshToken));
        if (use.outcome === 'ok') {
          await touchSession(tx, use.session_id);
          await audit.record(tx, who, {
            action: 'auth.refresh',
            outcome: 'success',
            target: { type: 'session', id: use.session_id },
            details: { user_id: use.user_id },
          });
          return tokensFor(tx, use.user_id, use.session_id);
        }
        if (use.outcome === 'reused') {
          await revokeSessions(tx, use.user_id, 'refresh token reused', { only: use.session_id });
          await audit.record(tx, who, {
            action: 'auth.refresh_reuse',
            outcome: 'denied',
            target: { type: 'session', id: use.session_id },
            details: { user_id: use.user_id, revoked: 'session' },
          });
        }
        return null;
      }).then((tokens) => {
        if (!tokens)
          throw invalidCredentials(
            'The refresh token is not valid (expired, used or revoked); log in again.',
          );
        return tokens;
      });
    },

    async logout(actor: TActor): Promise<void> {
      if (actor.kind !== 'user') {
        throw new AppError(ErrorCode.ValidationFailed, {
          detail:
            'Logout ends a login session: call it with the access token of that session, not an API key.',
        });
      }
      await inTransaction(db, async (tx) => {
        await revokeSessions(tx, actor.userId, 'logout', { only: actor.sessionId });
        await audit.record(tx, actor, {
          action: 'auth.logout',
          outcome: 'success',
          target: { type: 'session', id: actor.sessionId },
        });
      });
    },

    /** Changes one's password (the current one must be given) and ends one's other sessions. */
    async changePassword(
      actor: TActor,
      change: { current_password: string; new_password: string },
    ): Promise<void> {
      const user = requireUser(actor);
      const record = await findUser(db, user.userId);
      const hash = await passwordHashOf(db, user.userId);
      if (!record || !hash || !(await verifyPassword(change.current_password, hash))) {
        await audit.recordAlone(actor, {
          action: 'auth.password_change',
          outcome: 'failure',
          target: { type: 'user', id: user.userId },
          details: { reason: 'wrong current password' },
        });
        throw new AppError(ErrorCode.Forbidden, { detail: 'The current password is not correct.' });
      }
      validPassword(change.new_password, record.email);
      const newHash = await hashPassword(change.new_password);
      await inTransaction(db, async (tx) => {
        await setPasswordHash(tx, user.userId, newHash);
        const ended = await revokeSessions(tx, user.userId, 'password changed', {
          ...(actor.kind === 'user' ? { except: actor.sessionId } : {}),
        });
        await audit.record(tx, actor, {
          action: 'auth.password_change',
          outcome: 'success',
          target: { type: 'user', id: user.userId },
          details: { sessions_ended: ended },
        });
      });
    },

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
