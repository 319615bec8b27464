import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { ROLE_PERMISSIONS, type TPermission, type TRole } from '../../core/platform/access/index.ts';
import { startTestApi, type TTestApi } from '../../test/api-server.ts';
import { createApiKey, signIn, type TSignedIn } from '../../test/auth.ts';
import { testConfig } from '../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../test/db.ts';
import { signEd25519 } from '../../test/forged-tokens.ts';
import { generateOpenApiDocument } from './document.ts';

/**
 * What each operation needs, written out here independently of the route declarations: a route added
 * without an entry fails the walk below, and a declaration that changes its permission fails it too.
 * `null`: no credentials needed (and none looked at).
 */
const EXPECTED: Record<string, TPermission | null> = {
  'GET /api/v1/cryptocurrencies/': 'market:read',
  'GET /api/v1/cryptocurrencies/top/{category}': 'market:read',
  'GET /api/v1/cryptocurrencies/{symbol}': 'market:read',
  'GET /api/v1/cryptocurrencies/{symbol}/history': 'market:read',
  'POST /api/v1/cryptocurrencies/sync': 'jobs:trigger',
  'GET /api/v1/jobs/{id}': 'jobs:read',
  'GET /api/v1/risk/correlations': 'risk:read',
  'GET /api/v1/risk/rankings': 'risk:read',
  'GET /api/v1/risk/{symbol}': 'risk:read',
  'POST /api/v1/portfolios': 'portfolios:manage',
  'GET /api/v1/portfolios': 'portfolios:manage',
  'GET /api/v1/portfolios/{id}': 'portfolios:manage',
  'PATCH /api/v1/portfolios/{id}': 'portfolios:manage',
  'DELETE /api/v1/portfolios/{id}': 'portfolios:manage',
  'POST /api/v1/portfolios/{id}/transactions': 'portfolios:manage',
  'GET /api/v1/portfolios/{id}/transactions': 'portfolios:manage',
  'PATCH /api/v1/portfolios/{id}/transactions/{txId}': 'portfolios:manage',
  'DELETE /api/v1/portfolios/{id}/transactions/{txId}': 'portfolios:manage',
  'POST /api/v1/portfolios/{id}/transactions/import': 'portfolios:manage',
  'GET /api/v1/portfolios/{id}/transactions/export': 'portfolios:manage',
  'GET /api/v1/portfolios/{id}/holdings': 'portfolios:manage',
  'GET /api/v1/portfolios/{id}/realized': 'portfolios:manage',
  'GET /api/v1/portfolios/{id}/performance': 'portfolios:manage',
  'GET /api/v1/portfolios/{id}/risk': 'portfolios:manage',
  'PUT /api/v1/portfolios/{id}/targets': 'portfolios:manage',
  'GET /api/v1/portfolios/{id}/drift': 'portfolios:manage',
  'GET /api/v1/portfolios/{id}/limits': 'portfolios:manage',
  'PUT /api/v1/portfolios/{id}/limits': 'portfolios:manage',
  'GET /api/v1/portfolios/{id}/limits/status': 'portfolios:manage',
  'POST /api/v1/portfolios/{id}/pre-trade-check': 'portfolios:manage',
  'POST /api/v1/webhooks': 'alerts:manage',
  'GET /api/v1/webhooks': 'alerts:manage',
  'GET /api/v1/webhooks/{id}': 'alerts:manage',
  'DELETE /api/v1/webhooks/{id}': 'alerts:manage',
  'POST /api/v1/webhooks/{id}/rotate-secret': 'alerts:manage',
  'POST /api/v1/webhooks/{id}/enable': 'alerts:manage',
  'POST /api/v1/webhooks/{id}/test': 'alerts:manage',
  'GET /api/v1/webhooks/{id}/deliveries': 'alerts:manage',
  'POST /api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver': 'alerts:manage',
  'GET /api/v1/alerts/stream': 'alerts:manage',
  'GET /api/v1/cryptocurrencies/stream': 'market:read',
  'GET /api/v1/ws': 'market:read',
  'POST /api/v1/alerts': 'alerts:manage',
  'GET /api/v1/alerts': 'alerts:manage',
  'GET /api/v1/alerts/{id}': 'alerts:manage',
  'PATCH /api/v1/alerts/{id}': 'alerts:manage',
  'DELETE /api/v1/alerts/{id}': 'alerts:manage',
  'GET /api/v1/alerts/{id}/events': 'alerts:manage',
  'POST /api/v1/reports': 'reports:manage',
  'GET /api/v1/reports': 'reports:manage',
  'GET /api/v1/reports/{id}': 'reports:manage',
  'GET /api/v1/reports/{id}/download': 'reports:manage',
  'DELETE /api/v1/reports/{id}': 'reports:manage',
  'POST /api/v1/report-schedules': 'reports:manage',
  'GET /api/v1/report-schedules': 'reports:manage',
  'DELETE /api/v1/report-schedules/{id}': 'reports:manage',
  'GET /api/v1/admin/jobs': 'jobs:admin',
  'POST /api/v1/admin/jobs/{id}/retry': 'jobs:admin',
  'POST /api/v1/admin/jobs/{id}/promote': 'jobs:admin',
  'DELETE /api/v1/admin/jobs/{id}': 'jobs:admin',
  'GET /api/v1/admin/dead-letter': 'jobs:admin',
  'POST /api/v1/admin/dead-letter/{id}/replay': 'jobs:admin',
  'POST /api/v1/auth/login': null,
  'POST /api/v1/auth/refresh': null,
  'POST /api/v1/auth/logout': 'account:manage',
  'POST /api/v1/auth/signup': null,
  'GET /.well-known/jwks.json': null,
  'GET /api/v1/me': 'account:manage',
  'POST /api/v1/me/password': 'account:manage',
  'POST /api/v1/api-keys': 'api_keys:manage',
  'GET /api/v1/api-keys': 'api_keys:manage',
  'DELETE /api/v1/api-keys/{id}': 'api_keys:manage',
  'POST /api/v1/admin/users': 'users:admin',
  'GET /api/v1/admin/users': 'users:admin',
  'GET /api/v1/admin/users/{id}': 'users:admin',
  'PATCH /api/v1/admin/users/{id}': 'users:admin',
  'POST /api/v1/admin/users/{id}/revoke-sessions': 'users:admin',
  'GET /api/v1/admin/users/{id}/api-keys': 'users:admin',
  'DELETE /api/v1/admin/api-keys/{id}': 'users:admin',
  'GET /api/v1/admin/audit': 'audit:read',
  'GET /': null,
  'GET /health': null,
  'GET /livez': null,
  'GET /readyz': null,
  'GET /metrics': null,
  'GET /openapi.json': null,
};
/** Served, but not part of the API document. */
const OUTSIDE_THE_DOCUMENT: Record<string, TPermission> = { 'GET /admin/queues/': 'jobs:admin' };

/** Independent of the code: what an anonymous caller may read while PUBLIC_MARKET_DATA is on. */
const PUBLIC: TPermission[] = ['market:read', 'risk:read'];

/**
 * What each role is granted, written out here and not read from the code under test: a grant added to
 * or dropped from the role table fails the comparison below and the walk, which calls with these.
 */
const GRANTS: Record<TRole, readonly TPermission[]> = {
  admin: [
    'market:read',
    'risk:read',
    'account:manage',
    'api_keys:manage',
    'portfolios:manage',
    'portfolios:admin',
    'alerts:manage',
    'alerts:admin',
    'jobs:trigger',
    'jobs:read',
    'jobs:admin',
    'users:admin',
    'audit:read',
    'reports:manage',
    'reports:admin',
  ],
  trader: [
    'market:read',
    'risk:read',
    'account:manage',
    'api_keys:manage',
    'portfolios:manage',
    'alerts:manage',
    'reports:manage',
  ],
  analyst: [
    'market:read',
    'risk:read',
    'account:manage',
    'api_keys:manage',
    'alerts:manage',
    'reports:manage',
  ],
  service: ['market:read', 'risk:read', 'account:manage', 'api_keys:manage', 'jobs:trigger', 'jobs:read'],
};

const SAMPLE_PARAMS: Record<string, string> = {
  symbol: 'BTC',
  category: 'gainers',
  id: randomUUID(),
  txId: randomUUID(),
  deliveryId: `msg_${'0'.repeat(32)}`,
};

type TPrincipal = {
  name: string;
  headers: Record<string, string>;
  /** What the principal may do; 'invalid' for credentials that must be refused everywhere they are read. */
  permissions: readonly TPermission[] | 'invalid';
};

const document = generateOpenApiDocument('test') as unknown as {
  paths: Record<
    string,
    Record<string, { security?: Record<string, string[]>[]; responses: Record<string, unknown> }>
  >;
};
const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
);

let database: TTestDatabase;
let api: TTestApi;
const principals: TPrincipal[] = [];

beforeAll(async () => {
  const config = testConfig({
    RATE_LIMIT_PER_MINUTE: '10000',
    RATE_LIMIT_ROLE_QUOTAS: 'admin=10000,service=10000,trader=10000,analyst=10000',
    SYNC_RATE_LIMIT_PER_MINUTE: '1000',
    // The cross-owner walk registers a webhook endpoint on loopback (never delivered: no worker runs here).
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  });
  database = await createTestDatabase(config);
  api = await startTestApi(config, database.db);
  const roles: TRole[] = ['admin', 'trader', 'analyst', 'service'];
  const users: Record<string, TSignedIn> = {};
  for (const role of roles) {
    users[role] = await signIn(api, role);
    principals.push({ name: role, headers: users[role]!.headers, permissions: GRANTS[role] });
  }
  const narrow = await createApiKey(api.url, users.trader!, ['market:read']);
  principals.push({
    name: 'key with market:read only',
    headers: { 'X-API-Key': narrow.key },
    permissions: ['market:read'],
  });
  const serviceKey = await createApiKey(api.url, users.service!, [...GRANTS.service]);
  principals.push({
    name: 'service key with all its owner’s scopes',
    headers: { Authorization: `Bearer ${serviceKey.key}` },
    permissions: GRANTS.service,
  });

  const suspended = await signIn(api, 'trader');
  const suspendedKey = await createApiKey(api.url, suspended, ['market:read']);
  await api.services.users.update(
    {
      kind: 'user',
      userId: users.admin!.userId,
      role: 'admin',
      sessionId: 'test',
      ip: '127.0.0.1',
      permissions: new Set(GRANTS.admin),
    },
    suspended.userId,
    { status: 'suspended' },
  );
  principals.push({ name: 'suspended user', headers: suspended.headers, permissions: 'invalid' });
  principals.push({
    name: 'suspended user’s key',
    headers: { 'X-API-Key': suspendedKey.key },
    permissions: 'invalid',
  });

  const revoked = await createApiKey(api.url, users.analyst!, ['market:read']);
  await fetch(`${api.url}/api/v1/api-keys/${revoked.id}`, {
    method: 'DELETE',
    headers: users.analyst!.headers,
  });
  principals.push({ name: 'revoked key', headers: { 'X-API-Key': revoked.key }, permissions: 'invalid' });

  // An admin's token, well signed, whose time is up.
  const claims = JSON.parse(Buffer.from(users.admin!.accessToken.split('.')[1]!, 'base64url').toString());
  const header = JSON.parse(Buffer.from(users.admin!.accessToken.split('.')[0]!, 'base64url').toString());
  const past = Math.floor(Date.now() / 1000) - 3600;
  const expired = signEd25519(api.services.auth.keys.signing.key, header, {
    ...claims,
    iat: past,
    nbf: past,
    exp: past + 900,
  });
  principals.push({
    name: 'expired admin token',
    headers: { Authorization: `Bearer ${expired}` },
    permissions: 'invalid',
  });
  const foreign = signEd25519(generateKeyPairSync('ed25519').privateKey, header, claims);
  principals.push({
    name: 'admin token signed by another key',
    headers: { Authorization: `Bearer ${foreign}` },
    permissions: 'invalid',
  });
  principals.push({ name: 'anonymous', headers: {}, permissions: PUBLIC });
});
afterAll(async () => {
  await api.close();
  await database.drop();
});

/** Calls one operation as one principal with sample parameters and an empty body; the status. */
async function call(base: string, operation: string, headers: Record<string, string>): Promise<number> {
  const [method, template] = operation.split(' ') as [string, string];
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) => SAMPLE_PARAMS[name]!);
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...headers,
      ...(method === 'GET' || method === 'DELETE' ? {} : { 'content-type': 'application/json' }),
    },
    body: method === 'GET' || method === 'DELETE' ? undefined : '{}',
  });
  // A live stream never ends: its status is all this needs.
  if (response.headers.get('content-type')?.startsWith('text/event-stream')) await response.body?.cancel();
  else await response.arrayBuffer();
  return response.status;
}

/** The status class a principal must get: refused as unauthenticated, as forbidden, or let through. */
function expectedOutcome(permission: TPermission | null, principal: TPrincipal): 401 | 403 | 'through' {
  if (permission === null) return 'through';
  if (principal.permissions === 'invalid') return 401;
  if (principal.permissions.includes(permission)) return 'through';
  return principal.name === 'anonymous' ? 401 : 403;
}
const outcomeOf = (status: number) => (status === 401 || status === 403 ? status : 'through');

/**
 * Owned resources (portfolios, alerts, webhook endpoints) and the permission that reaches anyone's.
 * Bodies are valid, so each call gets past validation to the service's ownership check; a resource that
 * does not exist for the caller is a 404 naming its id, anything else means the caller reached it.
 */
const CROSS_OWNER: Record<string, { reach: TPermission; body?: unknown; csv?: string }> = {
  'GET /api/v1/portfolios/{id}': { reach: 'portfolios:admin' },
  'PATCH /api/v1/portfolios/{id}': { reach: 'portfolios:admin', body: { name: 'Renamed' } },
  'POST /api/v1/portfolios/{id}/transactions': {
    reach: 'portfolios:admin',
    body: { type: 'deposit', symbol: 'USD', quantity: '1', timestamp: '2024-01-02T00:00:00Z' },
  },
  'GET /api/v1/portfolios/{id}/transactions': { reach: 'portfolios:admin' },
  'PATCH /api/v1/portfolios/{id}/transactions/{txId}': { reach: 'portfolios:admin', body: { notes: 'x' } },
  'POST /api/v1/portfolios/{id}/transactions/import': {
    reach: 'portfolios:admin',
    csv: 'timestamp,type,symbol,quantity,price,fee,notes,external_id,lot_ids\n',
  },
  'GET /api/v1/portfolios/{id}/transactions/export': { reach: 'portfolios:admin' },
  'GET /api/v1/portfolios/{id}/holdings': { reach: 'portfolios:admin' },
  'GET /api/v1/portfolios/{id}/realized': { reach: 'portfolios:admin' },
  'GET /api/v1/portfolios/{id}/performance': { reach: 'portfolios:admin' },
  'GET /api/v1/portfolios/{id}/risk': { reach: 'portfolios:admin' },
  'PUT /api/v1/portfolios/{id}/targets': { reach: 'portfolios:admin', body: { weights: { BTC: '1' } } },
  'GET /api/v1/portfolios/{id}/drift': { reach: 'portfolios:admin' },
  'GET /api/v1/portfolios/{id}/limits': { reach: 'portfolios:admin' },
  'PUT /api/v1/portfolios/{id}/limits': { reach: 'portfolios:admin', body: { limits: [] } },
  'GET /api/v1/portfolios/{id}/limits/status': { reach: 'portfolios:admin' },
  'POST /api/v1/portfolios/{id}/pre-trade-check': {
    reach: 'portfolios:admin',
    body: { symbol: 'BTC', side: 'buy', quantity: '1' },
  },
  'GET /api/v1/alerts/{id}': { reach: 'alerts:admin' },
  'PATCH /api/v1/alerts/{id}': { reach: 'alerts:admin', body: { enabled: true } },
  'GET /api/v1/alerts/{id}/events': { reach: 'alerts:admin' },
  'GET /api/v1/webhooks/{id}': { reach: 'alerts:admin' },
  'POST /api/v1/webhooks/{id}/rotate-secret': { reach: 'alerts:admin' },
  'POST /api/v1/webhooks/{id}/enable': { reach: 'alerts:admin' },
  'POST /api/v1/webhooks/{id}/test': { reach: 'alerts:admin' },
  'GET /api/v1/webhooks/{id}/deliveries': { reach: 'alerts:admin' },
  'POST /api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver': { reach: 'alerts:admin' },
  // Deletions last: each principal works on resources of its own making-by-the-owner, so they can go.
  'DELETE /api/v1/portfolios/{id}/transactions/{txId}': { reach: 'portfolios:admin' },
  'DELETE /api/v1/alerts/{id}': { reach: 'alerts:admin' },
  'DELETE /api/v1/webhooks/{id}': { reach: 'alerts:admin' },
  'DELETE /api/v1/portfolios/{id}': { reach: 'portfolios:admin' },
};
const OWNED_PATHS = /^\w+ \/api\/v1\/(portfolios|alerts|webhooks)\/\{id\}/;

describe('Cross-owner access', () => {
  test('When an owned-resource operation is in the document, then the cross-owner walk covers it', () => {
    const owned = operations.filter((operation) => OWNED_PATHS.test(operation));
    expect(owned.filter((operation) => !(operation in CROSS_OWNER))).toEqual([]);
    expect(Object.keys(CROSS_OWNER).filter((operation) => !operations.includes(operation))).toEqual([]);
  });

  test('When anyone calls an operation on a trader’s portfolio, alert or webhook, then only the owner and holders of portfolios:admin / alerts:admin reach it; an admin’s key without them is refused like a stranger', async () => {
    const owner = await signIn(api, 'trader');
    const admin = await signIn(api, 'admin');
    const narrow: TPermission[] = ['alerts:manage', 'portfolios:manage'];
    const wide: TPermission[] = [...narrow, 'alerts:admin', 'portfolios:admin'];
    const narrowKey = await createApiKey(api.url, admin, narrow);
    const wideKey = await createApiKey(api.url, admin, wide);
    const callers: {
      name: string;
      headers: Record<string, string>;
      owner: boolean;
      holds: readonly TPermission[];
    }[] = [
      { name: 'the owner', headers: owner.headers, owner: true, holds: GRANTS.trader },
      {
        name: 'another trader',
        headers: (await signIn(api, 'trader')).headers,
        owner: false,
        holds: GRANTS.trader,
      },
      {
        name: 'an analyst',
        headers: (await signIn(api, 'analyst')).headers,
        owner: false,
        holds: GRANTS.analyst,
      },
      { name: 'an admin’s session', headers: admin.headers, owner: false, holds: GRANTS.admin },
      {
        name: 'an admin’s key scoped to the manage permissions',
        headers: { 'X-API-Key': narrowKey.key },
        owner: false,
        holds: narrow,
      },
      {
        name: 'an admin’s key with the cross-owner permissions',
        headers: { 'X-API-Key': wideKey.key },
        owner: false,
        holds: wide,
      },
    ];
    const post = async (path: string, body: unknown) => {
      const response = await fetch(`${api.url}${path}`, {
        method: 'POST',
        headers: { ...owner.headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (response.status !== 201) throw new Error(`${path}: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { id: string }).id;
    };
    const mismatches: string[] = [];
    for (const caller of callers) {
      // Fresh resources of the owner's for each caller, since the walk ends by deleting them.
      const portfolio = await post('/api/v1/portfolios', { name: `Owned ${caller.name}` });
      const ids: Record<string, string> = {
        portfolios: portfolio,
        alerts: await post('/api/v1/alerts', { kind: 'limit_breach', portfolio_id: portfolio }),
        webhooks: await post('/api/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['alert.fired'] }),
      };
      for (const [operation, { reach, body, csv }] of Object.entries(CROSS_OWNER)) {
        const [method, template] = operation.split(' ') as [string, string];
        const feature = template.split('/')[3]!;
        const path = template
          .replace('{id}', ids[feature]!)
          .replace(/\{(\w+)\}/g, (_, name: string) => SAMPLE_PARAMS[name]!);
        const response = await fetch(`${api.url}${path}${csv ? '?dry_run=true' : ''}`, {
          method,
          headers: {
            ...caller.headers,
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...(csv !== undefined ? { 'content-type': 'text/csv' } : {}),
          },
          body: csv ?? (body === undefined ? undefined : JSON.stringify(body)),
        });
        const text = await response.text();
        const outcome =
          response.status === 404 && text.includes(`"${ids[feature]}`)
            ? 404
            : response.status === 401 || response.status === 403
              ? response.status
              : response.status === 400
                ? `400 ${text}`
                : 'through';
        const permission = EXPECTED[operation]!;
        const wanted = !caller.holds.includes(permission)
          ? 403
          : caller.owner || caller.holds.includes(reach)
            ? 'through'
            : 404;
        if (outcome !== wanted)
          mismatches.push(
            `${operation} as ${caller.name}: ${response.status} (${outcome}), expected ${wanted}`,
          );
      }
    }
    expect(mismatches).toEqual([]);
  });
});

describe('Permission matrix', () => {
  test('When the role table is read, then each role holds exactly the grants written in this test', () => {
    for (const role of Object.keys(GRANTS) as TRole[])
      expect(`${role}: ${[...ROLE_PERMISSIONS[role]].sort().join(', ')}`).toBe(
        `${role}: ${[...GRANTS[role]].sort().join(', ')}`,
      );
  });

  test('When each role asks who it is, then its session holds exactly the grants written in this test', async () => {
    for (const role of Object.keys(GRANTS) as TRole[]) {
      const principal = principals.find((each) => each.name === role)!;
      const me = (await (await fetch(`${api.url}/api/v1/me`, { headers: principal.headers })).json()) as {
        permissions: string[];
      };
      expect(`${role}: ${me.permissions.join(', ')}`).toBe(`${role}: ${[...GRANTS[role]].sort().join(', ')}`);
    }
  });

  test('When the document is read, then every operation has an entry in the expected matrix, and every entry an operation', () => {
    expect(operations.filter((operation) => !(operation in EXPECTED))).toEqual([]);
    expect(Object.keys(EXPECTED).filter((operation) => !operations.includes(operation))).toEqual([]);
  });

  test('When the queue dashboard is opened, then only jobs:admin gets in, and a browser is asked for credentials', async () => {
    for (const [operation, permission] of Object.entries(OUTSIDE_THE_DOCUMENT)) {
      for (const principal of principals) {
        const status = await call(api.url, operation, principal.headers);
        expect(`${principal.name}: ${outcomeOf(status)}`).toBe(
          `${principal.name}: ${expectedOutcome(permission, principal)}`,
        );
      }
    }
    const challenge = await fetch(`${api.url}/admin/queues/`);
    expect(challenge.headers.get('www-authenticate')).toContain('Basic');
  });

  test('When PUBLIC_MARKET_DATA=false, then anonymous callers get 401 on market and risk reads, and signed-in readers still get through', async () => {
    const closed = await startTestApi(
      testConfig({ PUBLIC_MARKET_DATA: 'false', RATE_LIMIT_PER_MINUTE: '10000' }),
      database.db,
    );
    try {
      const reader = principals.find((principal) => principal.name === 'analyst')!;
      for (const operation of operations.filter((op) => PUBLIC.includes(EXPECTED[op] as TPermission))) {
        expect(`${operation}: ${await call(closed.url, operation, {})}`).toBe(`${operation}: 401`);
        expect(outcomeOf(await call(closed.url, operation, reader.headers))).toBe('through');
      }
    } finally {
      await closed.close();
    }
  });

  test('When every operation is called by every principal, then each status is the matrix’s: 401, 403 or let through', async () => {
    // Logout ends the session it is called with, so it goes last (and this test after the others).
    const walk = [...operations.filter((op) => !op.endsWith('/logout')), 'POST /api/v1/auth/logout'];
    const mismatches: string[] = [];
    let calls = 0;
    for (const operation of walk) {
      for (const principal of principals) {
        const status = await call(api.url, operation, principal.headers);
        calls += 1;
        const wanted = expectedOutcome(EXPECTED[operation]!, principal);
        if (outcomeOf(status) !== wanted)
          mismatches.push(`${operation} as ${principal.name}: ${status}, expected ${wanted}`);
        if (status >= 500 && !operation.includes('/readyz') && !operation.includes('/health'))
          mismatches.push(`${operation} as ${principal.name}: ${status}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(calls).toBe(walk.length * principals.length);
  });
});

describe('The OpenAPI document describes the security', () => {
  const operation = (key: string) => {
    const [method, path] = key.split(' ') as [string, string];
    return document.paths[path]![method.toLowerCase()]!;
  };

  test('When an operation needs a permission, then it lists bearer and API-key security, names the permission, and documents 401 and 403', () => {
    for (const [key, permission] of Object.entries(EXPECTED)) {
      const { security, responses } = operation(key);
      if (permission === null) {
        expect(`${key}: ${JSON.stringify(security)}`).toBe(`${key}: []`);
        continue;
      }
      const schemes = (security ?? []).flatMap((requirement) => Object.keys(requirement)).sort();
      expect(`${key}: ${schemes.join(',')}`).toBe(`${key}: apiKeyAuth,bearerAuth`);
      // Anonymous reads are optional security: the empty requirement is there exactly for public permissions.
      expect(`${key}: ${(security ?? []).some((requirement) => Object.keys(requirement).length === 0)}`).toBe(
        `${key}: ${PUBLIC.includes(permission)}`,
      );
      expect(`${key}: ${'401' in responses} ${'403' in responses}`).toBe(`${key}: true true`);
      expect(JSON.stringify(operation(key))).toContain(permission);
    }
  });

  test('When the security schemes are read, then bearer takes a JWT or a key and the API key is the X-API-Key header', () => {
    const schemes = (
      generateOpenApiDocument('test') as { components: { securitySchemes: Record<string, unknown> } }
    ).components.securitySchemes;
    // Bearer carries either credential, so no single bearerFormat; the description names both.
    expect(schemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect((schemes.bearerAuth as { description: string }).description).toMatch(/JWT.*API key/);
    expect(schemes.apiKeyAuth).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
  });

  test('When /docs is opened, then Swagger UI keeps the authorization the user enters', async () => {
    const page = await fetch(`${api.url}/docs`);
    const html = await page.text();
    const init = await fetch(`${api.url}/docs/swagger-ui-init.js`).then(
      (response) => response.text(),
      () => '',
    );
    expect(`${html}${init}`).toMatch(/persistAuthorization"?\s*:\s*true/);
  });
});
