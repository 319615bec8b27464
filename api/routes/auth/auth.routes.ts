import type { Request } from 'express';
import { defineRoute } from '../define-route.ts';
import {
  ZApiKey,
  ZApiKeyCreate,
  ZApiKeyCreated,
  ZIdParams,
  ZJwks,
  ZLoginBody,
  ZMe,
  ZPasswordChange,
  ZRefreshBody,
  ZSignupBody,
  ZTokenPair,
  ZUser,
} from './auth.schemas.ts';
import { z } from '../../openapi/zod.ts';

const authTags = ['Auth'];
const accountTags = ['Account'];
const clientOf = (req: Request) => ({ ip: req.ip ?? 'unknown', userAgent: req.get('user-agent') });

export const authRoutes = [
  defineRoute({
    method: 'post',
    path: '/api/v1/auth/login',
    tags: authTags,
    summary: 'Log in with email and password',
    description:
      'A 15-minute access token and a single-use refresh token. A wrong password and an unknown email get the ' +
      'same 401. Too many failures for this account from this client, from this client overall, or (for a client ' +
      'that has not logged into the account before) for the account from everywhere: 429 with Retry-After.',
    request: { body: ZLoginBody },
    permission: null,
    rateLimit: 'auth',
    response: { status: 200, description: 'Logged in', schema: ZTokenPair },
    problems: [413],
    handler: ({ input, deps, req }) => deps.services.auth.login(input.body, clientOf(req)),
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/auth/refresh',
    tags: authTags,
    summary: 'Trade a refresh token for a new token pair',
    description:
      'Spends the refresh token and returns a new pair. A refresh token presented a second time means it was ' +
      'copied: the whole session is ended (401), and its holder must log in again.',
    request: { body: ZRefreshBody },
    permission: null,
    rateLimit: 'auth',
    response: { status: 200, description: 'A new pair', schema: ZTokenPair },
    problems: [413],
    handler: ({ input, deps, req }) => deps.services.auth.refresh(input.body.refresh_token, clientOf(req)),
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/auth/logout',
    tags: authTags,
    summary: 'End this session',
    description:
      'Ends the session of the access token sent: its refresh tokens and access tokens stop working.',
    permission: 'account:manage',
    response: { status: 204, description: 'Logged out' },
    handler: ({ actor, deps }) => deps.services.auth.logout(actor),
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/auth/signup',
    tags: authTags,
    summary: 'Create an account (when sign-up is open)',
    description:
      'Only while AUTH_SIGNUP=open (403 otherwise). The account gets AUTH_SIGNUP_ROLE (trader by default).',
    request: { body: ZSignupBody },
    permission: null,
    rateLimit: 'auth',
    response: { status: 201, description: 'The new account', schema: ZUser },
    problems: [409, 413],
    handler: ({ input, deps, req }) => deps.services.auth.signup(input.body, clientOf(req)),
  }),
  defineRoute({
    method: 'get',
    path: '/.well-known/jwks.json',
    tags: authTags,
    summary: 'Public keys of the access tokens',
    description: 'The current key and, during a rotation, the previous ones; choose by `kid`.',
    permission: null,
    response: { status: 200, description: 'JSON Web Key Set', schema: ZJwks },
    handler: async ({ deps, res }) => {
      res.setHeader('Cache-Control', 'public, max-age=300');
      return { keys: deps.services.auth.keys.jwks as Record<string, unknown>[] };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/me',
    tags: accountTags,
    summary: 'The caller: account, role and what this credential may do',
    permission: 'account:manage',
    response: { status: 200, description: 'The account', schema: ZMe },
    handler: ({ actor, deps }) => deps.services.auth.me(actor),
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/me/password',
    tags: accountTags,
    summary: 'Change one’s password',
    description:
      'Needs the current password, whose failed checks count like failed logins (429 with Retry-After past the limit). ' +
      'Ends every other session of the account; with `revoke_api_keys: true` also revokes every API key of the account.',
    request: { body: ZPasswordChange },
    permission: 'account:manage',
    rateLimit: 'auth',
    response: { status: 204, description: 'Changed' },
    problems: [413],
    handler: ({ input, actor, deps }) => deps.services.auth.changePassword(actor, input.body),
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/api-keys',
    tags: accountTags,
    summary: 'Create an API key',
    description:
      'The key is in this answer only. Its scopes must be permissions the caller holds; it never holds more than ' +
      'its owner, whose later changes narrow it too. Send it as `Authorization: Bearer <key>` or `X-API-Key`. ' +
      'A key made with an API key expires no later than that key and is revoked with it.',
    request: { body: ZApiKeyCreate },
    permission: 'api_keys:manage',
    response: { status: 201, description: 'The key, shown once', schema: ZApiKeyCreated },
    problems: [409, 413],
    handler: ({ input, actor, deps }) => deps.services.apiKeys.create(actor, input.body),
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/api-keys',
    tags: accountTags,
    summary: 'The caller’s API keys',
    permission: 'api_keys:manage',
    response: {
      status: 200,
      description: 'Keys (never the secret)',
      schema: z.object({ data: z.array(ZApiKey) }),
    },
    handler: async ({ actor, deps }) => ({ data: await deps.services.apiKeys.list(actor) }),
  }),
  defineRoute({
    method: 'delete',
    path: '/api/v1/api-keys/{id}',
    tags: accountTags,
    summary: 'Revoke one of the caller’s API keys',
    description: 'Revokes the key and every key made with it (and with those, in turn).',
    request: { params: ZIdParams },
    permission: 'api_keys:manage',
    response: { status: 200, description: 'The revoked key', schema: ZApiKey },
    problems: [404],
    handler: ({ input, actor, deps }) => deps.services.apiKeys.revokeOwn(actor, input.params.id),
  }),
];
