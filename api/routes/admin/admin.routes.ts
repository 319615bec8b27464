import { ZApiKey, ZIdParams, ZUser } from '../auth/auth.schemas.ts';
import { defineRoute } from '../define-route.ts';
import {
  ZAuditList,
  ZAuditSearch,
  ZSessionsEnded,
  ZUserApiKeys,
  ZUserCreate,
  ZUserList,
  ZUserPatch,
  ZUserSearch,
} from './admin.schemas.ts';

const tags = ['Admin'];

export const adminRoutes = [
  defineRoute({
    method: 'post',
    path: '/api/v1/admin/users',
    tags,
    summary: 'Register a user',
    request: { body: ZUserCreate },
    permission: 'users:admin',
    response: { status: 201, description: 'The new user', schema: ZUser },
    problems: [409, 413],
    handler: ({ input, actor, deps }) => deps.services.users.register(actor, input.body),
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/admin/users',
    tags,
    summary: 'Search users',
    description: 'By part of the email, role and status, oldest first; page with `pagination.next_cursor`.',
    request: { query: ZUserSearch },
    permission: 'users:admin',
    response: { status: 200, description: 'A page of users', schema: ZUserList },
    handler: ({ input, actor, deps }) => deps.services.users.search(actor, input.query),
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/admin/users/{id}',
    tags,
    summary: 'One user',
    request: { params: ZIdParams },
    permission: 'users:admin',
    response: { status: 200, description: 'The user', schema: ZUser },
    problems: [404],
    handler: ({ input, actor, deps }) => deps.services.users.get(actor, input.params.id),
  }),
  defineRoute({
    method: 'patch',
    path: '/api/v1/admin/users/{id}',
    tags,
    summary: 'Change a user’s role, status or name',
    description:
      'Suspending ends the user’s sessions and stops their API keys at once. The last active admin stays one (409).',
    request: { params: ZIdParams, body: ZUserPatch },
    permission: 'users:admin',
    response: { status: 200, description: 'The user', schema: ZUser },
    problems: [404, 409, 413],
    handler: ({ input, actor, deps }) => deps.services.users.update(actor, input.params.id, input.body),
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/admin/users/{id}/revoke-sessions',
    tags,
    summary: 'End every session of a user',
    request: { params: ZIdParams },
    permission: 'users:admin',
    response: { status: 200, description: 'Sessions ended', schema: ZSessionsEnded },
    problems: [404],
    handler: ({ input, actor, deps }) => deps.services.users.revokeSessions(actor, input.params.id),
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/admin/users/{id}/api-keys',
    tags,
    summary: 'A user’s API keys',
    request: { params: ZIdParams },
    permission: 'users:admin',
    response: { status: 200, description: 'Keys (never the secret)', schema: ZUserApiKeys },
    handler: async ({ input, actor, deps }) => ({
      data: await deps.services.apiKeys.listOf(actor, input.params.id),
    }),
  }),
  defineRoute({
    method: 'delete',
    path: '/api/v1/admin/api-keys/{id}',
    tags,
    summary: 'Revoke anyone’s API key',
    request: { params: ZIdParams },
    permission: 'users:admin',
    response: { status: 200, description: 'The revoked key', schema: ZApiKey },
    problems: [404],
    handler: ({ input, actor, deps }) => deps.services.apiKeys.revokeAny(actor, input.params.id),
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/admin/audit',
    tags,
    summary: 'The audit log',
    description:
      'Security-relevant events newest first: logins, refreshes (and refresh reuse), logouts, password changes, key ' +
      'creation, revocation and use after revocation, role and status changes, permission denials, job triggers and ' +
      'every admin action. Filter by actor, action, target and time; page with `pagination.next_cursor`.',
    request: { query: ZAuditSearch },
    permission: 'audit:read',
    response: { status: 200, description: 'A page of events', schema: ZAuditList },
    handler: ({ input, actor, deps }) => deps.services.audit.list(actor, input.query),
  }),
];
