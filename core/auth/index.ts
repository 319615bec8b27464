// The auth feature's public module: accounts, sessions and tokens, API keys, user administration.
export * from './auth.service.ts';
export * from './api-keys.service.ts';
export * from './users.service.ts';
export { createKeyRing, type TKeyRing } from './access-tokens.ts';
export { createLoginLimiter } from './login-limiter.ts';

/**
 * The Redis channel told when a user's sessions or keys end or change (logout, suspension, a role or
 * password change, revocations): live streams of that user listen and re-check their own credentials.
 */
export const credentialsChannel = (prefix: string, userId: string) => `${prefix}auth:user:${userId}`;
export { API_KEY_PREFIX, isWellFormedApiKey } from './secrets.ts';
export { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './passwords.ts';
export type { TUserRecord, TUserStatus } from './users.repository.ts';

import { CreateIdentityAndAudit1733097600000 } from './migrations/1733097600000-create-identity-and-audit.ts';
import { ApiKeyParents1733540000019 } from './migrations/1733540000019-api-key-parents.ts';

/** The feature's schema, oldest first (core/features.ts runs every feature's). */
export const AUTH_MIGRATIONS = [CreateIdentityAndAudit1733097600000, ApiKeyParents1733540000019];
