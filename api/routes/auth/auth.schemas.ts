import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../../core/auth/index.ts';
import { PERMISSION_NAMES, ROLES } from '../../../core/platform/access/index.ts';
import { z } from '../../openapi/zod.ts';
import { ZTimestampParam, zText } from '../common.schemas.ts';

// z.email()'s rule, with RFC 5321's 64 characters at most before the @; the document states this very
// pattern, so a client (or a fuzzer) knows the rule exactly.
const EMAIL = new RegExp(`^(?=[^@]{1,64}@)${z.regexes.email.source.slice(1)}`);
export const ZEmail = z
  .string()
  .max(254, 'must be an email address of at most 254 characters')
  .regex(EMAIL, 'must be an email address')
  .openapi({ example: 'ada@example.com', format: 'email', pattern: EMAIL.source });

/** A new password: the policy (length, common passwords) is checked by the service, which names the rule. */
export const ZNewPassword = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(PASSWORD_MAX_LENGTH * 4, `must be at most ${PASSWORD_MAX_LENGTH} characters`)
  .openapi({
    // JSON Schema counts code points, as the policy does (zod's max above counts UTF-16 units).
    maxLength: PASSWORD_MAX_LENGTH,
    description: `${PASSWORD_MIN_LENGTH}-${PASSWORD_MAX_LENGTH} characters, any kind; not one of the common passwords, not the email`,
  });

// Any string is a password to verify (within reason): it is compared as it was set, never truncated.
const ZPresentedPassword = z.string().min(1).max(1024);

export const ZLoginBody = z
  .strictObject({ email: ZEmail, password: ZPresentedPassword })
  .openapi('LoginRequest');
export const ZRefreshBody = z
  .strictObject({ refresh_token: z.string().min(1).max(200) })
  .openapi('RefreshRequest');
export const ZSignupBody = z
  .strictObject({ email: ZEmail, password: ZNewPassword, display_name: zText(100).min(1) })
  .openapi('SignupRequest');
export const ZPasswordChange = z
  .strictObject({
    current_password: ZPresentedPassword,
    new_password: ZNewPassword,
    revoke_api_keys: z.boolean().default(false).openapi({
      description:
        'Also revoke every API key of the account (the one making this call included); without it keys keep working',
    }),
  })
  .openapi('PasswordChange');

export const ZTokenPair = z
  .object({
    access_token: z
      .string()
      .openapi({ description: 'JWT (EdDSA, typ at+jwt); send as Authorization: Bearer' }),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int().openapi({ description: 'Seconds the access token is valid' }),
    refresh_token: z
      .string()
      .openapi({ description: 'Opaque, single use: POST it to /auth/refresh for a new pair' }),
  })
  .openapi('TokenPair');

const ZRole = z.enum(ROLES);
const nullableDateTime = z.string().nullable().openapi({ format: 'date-time' });

export const ZUser = z
  .object({
    id: z.uuid(),
    email: z.string(),
    display_name: z.string(),
    role: ZRole,
    status: z.enum(['active', 'suspended']),
    created_at: z.string().openapi({ format: 'date-time' }),
    last_login_at: nullableDateTime,
  })
  .openapi('User');

export const ZMe = ZUser.extend({
  permissions: z.array(z.enum(PERMISSION_NAMES)).openapi({ description: 'What this credential may do' }),
  via: z.enum(['session', 'api_key']),
}).openapi('Me');

export const ZScopes = z
  .array(z.enum(PERMISSION_NAMES))
  .min(1)
  .max(PERMISSION_NAMES.length)
  .openapi({ description: 'Permissions the key holds; each must be one its owner holds' });

export const ZApiKeyCreate = z
  .strictObject({
    name: zText(100).min(1),
    scopes: ZScopes,
    expires_at: ZTimestampParam.optional().openapi({
      description:
        'When the key stops working; must be in the future. A key made with a key expires no later than that key (the answer shows the expiry in force)',
    }),
  })
  .openapi('ApiKeyCreate');

export const ZApiKey = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z
      .string()
      .openapi({ example: 'tbk_3fGk81Za', description: 'The first characters, to recognise the key' }),
    scopes: z.array(z.enum(PERMISSION_NAMES)),
    created_at: z.string().openapi({ format: 'date-time' }),
    expires_at: nullableDateTime,
    last_used_at: nullableDateTime,
    revoked_at: nullableDateTime,
    created_by_key_id: z.uuid().nullable().openapi({
      description:
        'The key this one was made with (it expires no later than that key and is revoked with it); null when made from a login session',
    }),
  })
  .openapi('ApiKey');

export const ZApiKeyCreated = ZApiKey.extend({
  key: z.string().openapi({ description: 'The key itself, shown this once: store it now' }),
}).openapi('ApiKeyCreated');

export const ZIdParams = z.strictObject({ id: z.uuid('must be a UUID') });

export const ZJwks = z
  .object({ keys: z.array(z.record(z.string(), z.unknown())) })
  .openapi('JsonWebKeySet', { description: 'The public keys access tokens are signed with (RFC 7517)' });
