import { randomUUID } from 'node:crypto';
import { request } from './openapi-conformance.ts';
import type { TRole } from '../core/platform/access/index.ts';
import type { TServices } from '../core/services.ts';

export const TEST_PASSWORD = 'a long test passphrase 7';

export type TSignedIn = {
  userId: string;
  email: string;
  accessToken: string;
  refreshToken: string;
  /** Headers that authenticate a request as this user. */
  headers: Record<string, string>;
};

/** A new user of `role` (created as an operator would, through the real service), logged in over HTTP. */
export async function signIn(
  api: { url: string; services: TServices },
  role: TRole,
  email = `${role}-${randomUUID().slice(0, 8)}@example.com`,
): Promise<TSignedIn> {
  const user = await api.services.users.createBySystem(
    { email, password: TEST_PASSWORD, role, display_name: `Test ${role}` },
    'test',
  );
  return logIn(api.url, email, user.id);
}

/** Logs an existing user in over HTTP. */
export async function logIn(
  base: string,
  email: string,
  userId = '',
  password = TEST_PASSWORD,
): Promise<TSignedIn> {
  const response = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (response.status !== 200)
    throw new Error(`login of ${email} failed: ${response.status} ${await response.text()}`);
  const tokens = (await response.json()) as { access_token: string; refresh_token: string };
  return {
    userId,
    email,
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    headers: { Authorization: `Bearer ${tokens.access_token}` },
  };
}

/** An API key with `scopes`, made by `owner` through the real endpoint. */
export async function createApiKey(base: string, owner: TSignedIn, scopes: string[], name = 'test key') {
  const response = await fetch(`${base}/api/v1/api-keys`, {
    method: 'POST',
    headers: { ...owner.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ name, scopes }),
  });
  if (response.status !== 201)
    throw new Error(`key creation failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as { id: string; key: string; prefix: string; scopes: string[] };
}

/** A JSON request through the conformance-checking client. */
export function sendJson(
  base: string,
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  return request(base, path, {
    method,
    headers: { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}
