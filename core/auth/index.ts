// The auth feature's public module: accounts, sessions and tokens, API keys, user administration.
export * from './auth.service.ts';
export * from './api-keys.service.ts';
export * from './users.service.ts';
export { createKeyRing, type TKeyRing } from './access-tokens.ts';
export { createLoginLimiter } from './login-limiter.ts';
export { API_KEY_PREFIX, isWellFormedApiKey } from './secrets.ts';
export { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './passwords.ts';
export type { TUserRecord, TUserStatus } from './users.repository.ts';
