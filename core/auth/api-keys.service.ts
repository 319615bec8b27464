import type { DataSource } from 'typeorm';
import type { TAuditService } from '../audit/index.ts';
import { requirePermission, requireUser, type TActor, type TPermission } from '../platform/access/index.ts';
import { inTransaction, lockKey, type TQueryable } from '../platform/db/tx.ts';
import { AppError, ErrorCode } from '../platform/errors/app-error.ts';
import {
  findApiKey,
  insertApiKey,
  listApiKeys,
  revokeApiKey,
  type TApiKeyRecord,
} from './api-keys.repository.ts';
import { generateApiKey, secretHash } from './secrets.ts';

export const MAX_KEYS_PER_USER = 50;

/** What is shown of a key: never the key itself, never its hash. */
const publicKey = ({ user_id: _owner, ...key }: TApiKeyRecord) => key;
export type TPublicApiKey = ReturnType<typeof publicKey>;

const notFound = (id: string) => new AppError(ErrorCode.NotFound, { detail: `No API key with id "${id}".` });

/**
 * API keys of the caller (and, for admins, of anyone): create once-shown keys, list them, revoke them.
 * A key made with a key belongs under it: it expires no later than its maker and is revoked with it,
 * so a key holding `api_keys:manage` cannot mint credentials that outlive itself.
 */
export function createApiKeyService(deps: {
  db: DataSource;
  audit: TAuditService;
  /** Told after commit when a user's keys were revoked (live streams opened with them end). */
  credentialsChanged?: (userId: string) => Promise<void>;
  now?: () => Date;
  /** API_KEYS_PER_USER. */
  maxKeys?: number;
}) {
  const { db, audit } = deps;
  const maxKeys = deps.maxKeys ?? MAX_KEYS_PER_USER;
  const now = deps.now ?? (() => new Date());

  async function revoke(actor: TActor, id: string, keyOf: (key: TApiKeyRecord) => boolean) {
    const user = requireUser(actor);
    const answer = await inTransaction(db, async (tx) => {
      // Locked first, so a key being made under it (which shares this row) lands before the cascade reads.
      const key = await findApiKey(tx, id, { lock: 'update' });
      // Someone else's key does not exist for this caller: 404, not 403, so ids do not leak.
      if (!key || !keyOf(key)) throw notFound(id);
      const { key: revoked, descendants } = await revokeApiKey(tx, id, user.userId);
      await audit.record(tx, actor, {
        action: 'api_key.revoke',
        outcome: 'success',
        target: { type: 'api_key', id },
        details: {
          owner: key.user_id,
          prefix: key.prefix,
          already_revoked: revoked === null,
          ...(descendants ? { keys_made_under_it_revoked: descendants } : {}),
        },
      });
      return { owner: key.user_id, key: publicKey(revoked ?? key) };
    });
    await deps.credentialsChanged?.(answer.owner).catch(() => undefined);
    return answer.key;
  }

  /** The expiry of a key made by `actor`: what was asked, but never past the making key's own. */
  async function expiryUnder(tx: TQueryable, actor: TActor, asked: Date | null): Promise<Date | null> {
    if (actor.kind !== 'api_key') return asked;
    const maker = await findApiKey(tx, actor.keyId, { lock: 'share' });
    if (!maker || maker.revoked_at)
      throw new AppError(ErrorCode.Unauthorized, { detail: 'The credentials are not valid.' });
    if (!maker.expires_at) return asked;
    const limit = new Date(maker.expires_at);
    return asked && asked < limit ? asked : limit;
  }

  return {
    /**
     * A new key for the caller, shown this once. Its scopes must be permissions the caller holds now
     * (a key never holds more than its owner; owner changes narrow it later too).
     */
    async create(actor: TActor, input: { name: string; scopes: TPermission[]; expires_at?: Date }) {
      requirePermission(actor, 'api_keys:manage');
      const user = requireUser(actor);
      const beyond = input.scopes.filter((scope) => !actor.permissions.has(scope));
      if (beyond.length) {
        throw new AppError(ErrorCode.Forbidden, {
          detail: `A key cannot hold more than its owner: not yours: ${beyond.join(', ')}.`,
        });
      }
      if (input.expires_at && input.expires_at.getTime() <= now().getTime()) {
        throw new AppError(ErrorCode.ValidationFailed, {
          detail: 'expires_at: must be in the future',
          errors: [{ name: 'expires_at', in: 'body', detail: 'must be in the future' }],
        });
      }
      const { key, prefix } = generateApiKey();
      return inTransaction(db, async (tx) => {
        // Counted under a lock per owner: racing creations cannot pass the quota.
        await lockKey(tx, `quota:api-keys:${user.userId}`);
        const existing = await listApiKeys(tx, user.userId);
        if (existing.filter((k) => !k.revoked_at).length >= maxKeys) {
          throw new AppError(ErrorCode.Conflict, {
            detail: `At most ${maxKeys} active keys per user (API_KEYS_PER_USER); revoke one first.`,
            extensions: { reason: 'quota_exceeded', quota: 'api_keys_per_user', limit: maxKeys },
          });
        }
        const record = await insertApiKey(tx, {
          user_id: user.userId,
          name: input.name,
          prefix,
          hash: secretHash(key),
          scopes: [...new Set(input.scopes)].sort(),
          expires_at: await expiryUnder(tx, actor, input.expires_at ?? null),
          created_by_key_id: actor.kind === 'api_key' ? actor.keyId : null,
        });
        await audit.record(tx, actor, {
          action: 'api_key.create',
          outcome: 'success',
          target: { type: 'api_key', id: record.id },
          details: {
            prefix,
            scopes: record.scopes,
            expires_at: record.expires_at,
            created_by_key_id: record.created_by_key_id,
          },
        });
        return { ...publicKey(record), key };
      });
    },

    async list(actor: TActor): Promise<TPublicApiKey[]> {
      requirePermission(actor, 'api_keys:manage');
      return (await listApiKeys(db, requireUser(actor).userId)).map(publicKey);
    },

    revokeOwn(actor: TActor, id: string) {
      requirePermission(actor, 'api_keys:manage');
      return revoke(actor, id, (key) => key.user_id === requireUser(actor).userId);
    },

    /** Admins: anyone's keys. */
    async listOf(actor: TActor, userId: string): Promise<(TPublicApiKey & { user_id: string })[]> {
      requirePermission(actor, 'users:admin');
      return (await listApiKeys(db, userId)).map((key) => ({ ...publicKey(key), user_id: key.user_id }));
    },

    revokeAny(actor: TActor, id: string) {
      requirePermission(actor, 'users:admin');
      return revoke(actor, id, () => true);
    },
  };
}
