import type { DataSource } from 'typeorm';
import type { TAuditService } from '../audit/index.ts';
import {
  anonymous,
  PUBLIC_PERMISSIONS,
  ROLE_PERMISSIONS,
  type TActor,
  type TPermission,
  type TRole,
} from '../platform/access/index.ts';
import { AppError, ErrorCode } from '../platform/errors/app-error.ts';
import { looksLikeJwt, verifyAccessToken, type TKeyRing } from './access-tokens.ts';
import { keyCredential, keyCredentialById, touchApiKey, type TKeyCredential } from './api-keys.repository.ts';
import { isWellFormedApiKey, secretHash } from './secrets.ts';
import { sessionState } from './sessions.repository.ts';

/** Permissions of an API key: its scopes, never more than its owner's role holds now. */
export const keyPermissions = (scopes: readonly TPermission[], role: TRole): TPermission[] =>
  scopes.filter((scope) => ROLE_PERMISSIONS[role].includes(scope));

const invalidCredentials = () =>
  new AppError(ErrorCode.Unauthorized, { detail: 'The credentials are not valid.' });

type TSessionState = Awaited<ReturnType<typeof sessionState>>;
const sessionStands = (state: TSessionState): state is NonNullable<TSessionState> =>
  state !== null && !state.revoked && !state.expired && state.status === 'active';
const keyStands = (credential: TKeyCredential | null): credential is TKeyCredential =>
  credential !== null && !credential.revoked && !credential.expired && credential.status === 'active';

/** Who is asking, from the credentials of a request; and whether what an actor was made from still stands. */
export function createActorResolver(deps: {
  db: DataSource;
  keys: TKeyRing;
  audit: TAuditService;
  publicMarketData: boolean;
  now: () => Date;
}) {
  const { db, keys, audit } = deps;

  /** A user session's actor, from a verified access token; null when the session or the user is no longer valid. */
  async function userActor(token: string, ip: string): Promise<TActor | null> {
    const claims = await verifyAccessToken(keys, token, deps.now());
    if (!claims) return null;
    const state = await sessionState(db, claims.sid, claims.sub);
    // Checked on every request, so that logout, suspension and role changes apply at once.
    if (!sessionStands(state)) return null;
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
    if (!keyStands(credential)) return null;
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
    /**
     * Who is asking: anonymous without credentials; a user for a valid access token; an API key's
     * owner (within the key's scopes) for a valid key, given as `Authorization: Bearer tbk_…`,
     * `X-API-Key` or, for the browser-only queue dashboard, as the password of HTTP Basic.
     * Credentials that are present but invalid are a 401.
     */
    async resolveActor(request: { authorization?: string; apiKey?: string; ip: string }): Promise<TActor> {
      const { authorization, apiKey, ip } = request;
      if (!authorization && !apiKey) return anonymous(ip, deps.publicMarketData ? PUBLIC_PERMISSIONS : []);
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

    /**
     * Whether the grant an actor was resolved with still stands, for what outlives one request (a live
     * stream): the session or key is neither revoked nor expired, the user is active, and the role is
     * the one it was resolved with (a role change ends the grant; a new request is authorized anew).
     */
    async stillStands(actor: TActor): Promise<boolean> {
      if (actor.kind === 'anonymous') return true;
      if (actor.kind === 'user') {
        const state = await sessionState(db, actor.sessionId, actor.userId);
        return sessionStands(state) && state.role === actor.role;
      }
      const credential = await keyCredentialById(db, actor.keyId);
      return keyStands(credential) && credential.role === actor.role;
    },
  };
}
