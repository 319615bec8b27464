import type { DataSource } from 'typeorm';
import type { TAuditService } from '../audit/index.ts';
import { requireUser, type TActor } from '../platform/access/index.ts';
import { inTransaction } from '../platform/db/tx.ts';
import { AppError, ErrorCode } from '../platform/errors/app-error.ts';
import { revokeAllApiKeys } from './api-keys.repository.ts';
import type { TLoginLimiter } from './login-limiter.ts';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.ts';
import { revokeSessions } from './sessions.repository.ts';
import { findUser, passwordHashOf, setPasswordHash } from './users.repository.ts';

export function validPassword(password: string, email?: string): void {
  const problem = passwordProblem(password, email);
  if (problem) {
    throw new AppError(ErrorCode.ValidationFailed, {
      detail: `password: ${problem}`,
      errors: [{ name: 'password', in: 'body', detail: problem }],
    });
  }
}

export type TPasswordChange = { current_password: string; new_password: string; revoke_api_keys?: boolean };

/**
 * Changing one's password. The current password is checked under the login limits (the same counts as
 * logins, per account and client): a stolen session or a key with `account:manage` gets no more
 * guesses at it than a login form would give. The change ends every other session; API keys are
 * separate credentials and stay unless `revoke_api_keys` asks to revoke every one of them too.
 */
export function createPasswordChange(deps: {
  db: DataSource;
  audit: TAuditService;
  limiter: TLoginLimiter;
  /** Told after commit, so live streams of the ended sessions and keys stop. */
  credentialsChanged: (userId: string) => Promise<void>;
}) {
  const { db, audit, limiter } = deps;
  const failed = (actor: TActor, userId: string, reason: string) =>
    audit.recordAlone(actor, {
      action: 'auth.password_change',
      outcome: reason === 'too many failures' ? 'denied' : 'failure',
      target: { type: 'user', id: userId },
      details: { reason },
    });

  return async function changePassword(actor: TActor, change: TPasswordChange): Promise<void> {
    const user = requireUser(actor);
    const record = await findUser(db, user.userId);
    if (!record) throw new AppError(ErrorCode.Unauthorized, { detail: 'The credentials are not valid.' });
    const attempt = await limiter.attempt(record.email, actor.ip).catch(async (error: unknown) => {
      await failed(actor, user.userId, 'too many failures');
      throw error;
    });
    let right: boolean;
    try {
      const hash = await passwordHashOf(db, user.userId);
      right = hash !== null && (await verifyPassword(change.current_password, hash));
    } catch (error) {
      await attempt.abandoned();
      throw error;
    }
    if (!right) {
      await failed(actor, user.userId, 'wrong current password');
      throw new AppError(ErrorCode.Forbidden, { detail: 'The current password is not correct.' });
    }
    await attempt.succeeded();
    validPassword(change.new_password, record.email);
    const newHash = await hashPassword(change.new_password);
    await inTransaction(db, async (tx) => {
      await setPasswordHash(tx, user.userId, newHash);
      const ended = await revokeSessions(tx, user.userId, 'password changed', {
        ...(actor.kind === 'user' ? { except: actor.sessionId } : {}),
      });
      const revoked = change.revoke_api_keys ? await revokeAllApiKeys(tx, user.userId, user.userId) : 0;
      await audit.record(tx, actor, {
        action: 'auth.password_change',
        outcome: 'success',
        target: { type: 'user', id: user.userId },
        details: { sessions_ended: ended, api_keys_revoked: revoked },
      });
    });
    await deps.credentialsChanged(user.userId).catch(() => undefined);
  };
}
