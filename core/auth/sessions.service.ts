import type { DataSource } from 'typeorm';
import type { TAuditService } from '../audit/index.ts';
import { anonymous, type TActor } from '../platform/access/index.ts';
import { inTransaction, type TQueryable } from '../platform/db/tx.ts';
import { AppError, ErrorCode } from '../platform/errors/app-error.ts';
import { issueAccessToken, type TKeyRing } from './access-tokens.ts';
import type { TLoginLimiter } from './login-limiter.ts';
import { hashPassword, needsRehash, verifyAgainstNothing, verifyPassword } from './passwords.ts';
import { generateRefreshToken, secretHash } from './secrets.ts';
import {
  insertRefreshToken,
  insertSession,
  revokeSessions,
  spendRefreshToken,
  touchSession,
} from './sessions.repository.ts';
import { findUserForLogin, setPasswordHash, touchLogin } from './users.repository.ts';

export type TTokenPair = {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
};

const DAY_MS = 86_400_000;

/** One answer for every bad login, whether the email exists or not. */
const invalidLogin = () => new AppError(ErrorCode.Unauthorized, { detail: 'Invalid email or password.' });
export const invalidCredentials = (detail = 'The credentials are not valid.') =>
  new AppError(ErrorCode.Unauthorized, { detail });

/**
 * The session lifecycle: a login opens a session (rate-limited, audited, the password rehashed when
 * its parameters aged), a refresh token is spent for a new pair (a reused one revokes its session), a
 * logout ends the session. `credentialsChanged` runs after a commit that ended credentials.
 */
export function createSessionLifecycle(deps: {
  db: DataSource;
  keys: TKeyRing;
  limiter: TLoginLimiter;
  audit: TAuditService;
  refreshTokenDays: number;
  credentialsChanged: (userId: string) => Promise<void>;
  now: () => Date;
}) {
  const { db, keys, limiter, audit, now, credentialsChanged } = deps;
  const settings = { refreshTokenDays: deps.refreshTokenDays };

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

  return {
    async login(
      credentials: { email: string; password: string },
      client: { ip: string; userAgent?: string },
    ): Promise<TTokenPair> {
      const who = anonymous(client.ip, []);
      // Counted before the password is checked, so parallel guesses cannot pass the limit together.
      const attempt = await limiter.attempt(credentials.email, client.ip).catch(async (error: unknown) => {
        await audit.recordAlone(who, {
          action: 'auth.login',
          outcome: 'denied',
          details: { email: credentials.email, reason: 'too many failures' },
        });
        throw error;
      });
      let user: Awaited<ReturnType<typeof findUserForLogin>>;
      let ok: boolean;
      try {
        user = await findUserForLogin(db, credentials.email);
        ok = user
          ? await verifyPassword(credentials.password, user.password_hash)
          : await verifyAgainstNothing(credentials.password);
      } catch (error) {
        await attempt.abandoned();
        throw error;
      }
      if (!user || !ok || user.status !== 'active') {
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
      await attempt.succeeded();
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
        return use.outcome === 'reused' ? use.user_id : null;
      }).then(async (tokens) => {
        if (typeof tokens === 'string') await credentialsChanged(tokens);
        if (!tokens || typeof tokens === 'string')
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
      await credentialsChanged(actor.userId);
    },
  };
}
