import { ROLES } from '../../../core/platform/access/index.ts';
import { z } from '../../openapi/zod.ts';
import { ZApiKey, ZEmail, ZNewPassword, ZUser } from '../auth/auth.schemas.ts';
import { intParam, zKeysetCursor, ZTimestampParam, zText } from '../common.schemas.ts';

const ZPagination = z.object({
  limit: z.number().int(),
  next_cursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page' }),
});

export const ZUserCreate = z
  .strictObject({
    email: ZEmail,
    password: ZNewPassword,
    role: z.enum(ROLES),
    display_name: zText(100).min(1),
  })
  .openapi('UserCreate');

export const ZUserPatch = z
  .strictObject({
    role: z.enum(ROLES).optional(),
    status: z.enum(['active', 'suspended']).optional(),
    display_name: zText(100).min(1).optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, {
    message: 'give at least one of role, status, display_name',
  })
  .openapi('UserPatch', {
    minProperties: 1,
    description: 'At least one field. Suspending ends the user’s sessions and stops their keys at once.',
  });

export const ZUserSearch = z.strictObject({
  email: zText(254).min(1).optional().openapi({ description: 'Part of the email, any case' }),
  role: z.enum(ROLES).optional(),
  status: z.enum(['active', 'suspended']).optional(),
  cursor: zKeysetCursor('uuid').optional(),
  limit: intParam(1, 200, 50),
});

export const ZUserList = z.object({ data: z.array(ZUser), pagination: ZPagination }).openapi('UserList');
export const ZSessionsEnded = z.object({ sessions_ended: z.number().int() }).openapi('SessionsEnded');
export const ZUserApiKeys = z
  .object({ data: z.array(ZApiKey.extend({ user_id: z.uuid() })) })
  .openapi('UserApiKeys');

export const ZAuditSearch = z.strictObject({
  actor: zText(100).min(1).optional().openapi({ description: 'Acting user id or API key id' }),
  action: z
    .string()
    .regex(/^[a-z_]{1,40}(\.[a-z_]{1,40})?$/, 'must be an action such as auth.login')
    .optional()
    .openapi({ maxLength: 81 }),
  target: zText(200).min(1).optional().openapi({ description: 'Target id (a user, key, session or job id)' }),
  from: ZTimestampParam.optional(),
  to: ZTimestampParam.optional(),
  cursor: zKeysetCursor('serial').optional(),
  limit: intParam(1, 500, 100),
});

export const ZAuditEvent = z
  .object({
    id: z.string(),
    at: z.string().openapi({ format: 'date-time' }),
    actor_type: z.enum(['anonymous', 'user', 'api_key', 'system']),
    actor_id: z.string().nullable(),
    actor_user_id: z.string().nullable(),
    ip: z.string().nullable(),
    request_id: z.string().nullable(),
    action: z.string().openapi({ example: 'auth.login' }),
    target_type: z.string().nullable(),
    target_id: z.string().nullable(),
    outcome: z.enum(['success', 'failure', 'denied']),
    details: z.record(z.string(), z.unknown()),
  })
  .openapi('AuditEvent');

export const ZAuditList = z
  .object({ data: z.array(ZAuditEvent), pagination: ZPagination })
  .openapi('AuditList');
