import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { startTestApi, type TTestApi } from '../../../test/api-server.ts';
import { createApiKey, sendJson, signIn } from '../../../test/auth.ts';
import { testConfig } from '../../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../../test/db.ts';
import { request } from '../../../test/openapi-conformance.ts';

let database: TTestDatabase;
let api: TTestApi;
beforeAll(async () => {
  const config = testConfig({ RATE_LIMIT_PER_MINUTE: '10000' });
  database = await createTestDatabase(config);
  api = await startTestApi(config, database.db);
});
afterAll(async () => {
  await api.close();
  await database.drop();
});
beforeEach(async () => {
  await database.truncate();
});

const me = (headers: Record<string, string>) => request(api.url, '/api/v1/me', { headers });
const auditRows = (action: string) =>
  database.db.query(`SELECT * FROM audit_events WHERE action = $1 ORDER BY id`, [action]) as Promise<
    Record<string, any>[]
  >;

describe('Creating and using API keys', () => {
  test('When a key is created, then the answer holds the key once with its id, prefix, name, scopes and expiry; listings never show it', async () => {
    const owner = await signIn(api, 'trader');
    const created = await sendJson(
      api.url,
      'POST',
      '/api/v1/api-keys',
      { name: 'laptop script', scopes: ['market:read', 'account:manage', 'market:read'] },
      owner.headers,
    );
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(
      expect.arrayContaining(['expires_at', 'id', 'key', 'name', 'prefix', 'scopes']),
    );
    expect(created.body).toMatchObject({
      name: 'laptop script',
      scopes: ['account:manage', 'market:read'],
      expires_at: null,
    });
    expect(created.body.key.startsWith(created.body.prefix)).toBe(true);
    const listed = await request(api.url, '/api/v1/api-keys', { headers: owner.headers });
    expect(listed.status).toBe(200);
    expect(listed.body.data).toHaveLength(1);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key.slice(12));
    expect(listed.body.data[0]).toMatchObject({
      id: created.body.id,
      prefix: created.body.prefix,
      last_used_at: null,
    });
    const [row] = await database.db.query('SELECT key_hash FROM api_keys');
    expect(row.key_hash.toString('utf8')).not.toContain(created.body.key.slice(12));
  });

  test('When the key is sent as Bearer or as X-API-Key, then it acts for its owner within its scopes, and its use is recorded', async () => {
    const owner = await signIn(api, 'trader');
    const key = await createApiKey(api.url, owner, ['account:manage']);
    for (const headers of [{ Authorization: `Bearer ${key.key}` }, { 'X-API-Key': key.key }] as Record<
      string,
      string
    >[]) {
      const { status, body } = await me(headers);
      expect(status).toBe(200);
      expect(body).toMatchObject({ id: owner.userId, via: 'api_key', permissions: ['account:manage'] });
    }
    // A scope it does not have: 403 though the owner holds the permission.
    const keys = await request(api.url, '/api/v1/api-keys', { headers: { 'X-API-Key': key.key } });
    expect(keys.status).toBe(403);
    const deadline = Date.now() + 5000;
    let lastUsed: string | null = null;
    while (!lastUsed && Date.now() < deadline) {
      [{ last_used_at: lastUsed }] = await database.db.query('SELECT last_used_at FROM api_keys');
      if (!lastUsed) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(lastUsed).not.toBeNull();
  });

  test('When a key asks for a permission its owner lacks, then it is a 403 and no key is made', async () => {
    const owner = await signIn(api, 'analyst');
    const { status, body } = await sendJson(
      api.url,
      'POST',
      '/api/v1/api-keys',
      { name: 'too much', scopes: ['market:read', 'users:admin'] },
      owner.headers,
    );
    expect(status).toBe(403);
    expect(body.detail).toContain('users:admin');
    expect(await database.db.query('SELECT 1 FROM api_keys')).toHaveLength(0);
  });

  test('When a key tries to make a key with more than its own scopes, then it is a 403', async () => {
    const owner = await signIn(api, 'trader');
    const key = await createApiKey(api.url, owner, ['api_keys:manage']);
    const { status } = await sendJson(
      api.url,
      'POST',
      '/api/v1/api-keys',
      { name: 'escalation', scopes: ['market:read'] },
      { 'X-API-Key': key.key },
    );
    expect(status).toBe(403);
  });

  test('When the owner’s role narrows after the key was made, then the key narrows with it', async () => {
    const admin = await signIn(api, 'admin');
    const owner = await signIn(api, 'service');
    const key = await createApiKey(api.url, owner, ['jobs:read', 'market:read']);
    expect((await me({ 'X-API-Key': key.key })).status).toBe(403); // not a scope of the key
    const demoted = await sendJson(
      api.url,
      'PATCH',
      `/api/v1/admin/users/${owner.userId}`,
      { role: 'analyst' },
      admin.headers,
    );
    expect(demoted.status).toBe(200);
    const job = await request(api.url, '/api/v1/jobs/sync-markets-1', { headers: { 'X-API-Key': key.key } });
    expect(job.status).toBe(403);
    const market = await request(api.url, '/api/v1/cryptocurrencies/', { headers: { 'X-API-Key': key.key } });
    expect(market.status).toBe(200);
  });

  test.each([
    ['an unknown scope', { name: 'x', scopes: ['market:write'] }],
    ['no scopes', { name: 'x', scopes: [] }],
    ['no name', { scopes: ['market:read'] }],
    ['an expiry in the past', { name: 'x', scopes: ['market:read'], expires_at: '2020-01-01T00:00:00Z' }],
    ['an expiry that is no date', { name: 'x', scopes: ['market:read'], expires_at: 'tomorrow' }],
  ])('When the new key has %s, then it is a 400 problem', async (_name, body) => {
    const owner = await signIn(api, 'trader');
    const { status, headers } = await sendJson(api.url, 'POST', '/api/v1/api-keys', body, owner.headers);
    expect(status).toBe(400);
    expect(headers.get('content-type')).toContain('application/problem+json');
  });

  test('When a user already has 50 active keys, then the 51st is a 409', async () => {
    const owner = await signIn(api, 'trader');
    for (let index = 0; index < 50; index++)
      await createApiKey(api.url, owner, ['market:read'], `key ${index}`);
    const { status } = await sendJson(
      api.url,
      'POST',
      '/api/v1/api-keys',
      { name: 'one more', scopes: ['market:read'] },
      owner.headers,
    );
    expect(status).toBe(409);
  });
});

describe('Revoked, expired and others’ keys', () => {
  test('When a key is revoked, then it is a 401 from then on, and each later use is audited as use after revocation', async () => {
    const owner = await signIn(api, 'trader');
    const key = await createApiKey(api.url, owner, ['market:read', 'account:manage']);
    const revoked = await sendJson(api.url, 'DELETE', `/api/v1/api-keys/${key.id}`, undefined, owner.headers);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked_at).not.toBeNull();
    const use = await me({ 'X-API-Key': key.key });
    expect(use.status).toBe(401);
    expect(use.headers.get('content-type')).toContain('application/problem+json');
    // Even on routes anonymous callers may use: a client should learn its key is dead.
    expect(
      (await request(api.url, '/api/v1/cryptocurrencies/', { headers: { 'X-API-Key': key.key } })).status,
    ).toBe(401);
    const [event] = await auditRows('api_key.use_after_revoke');
    expect(event).toMatchObject({ outcome: 'denied', target_id: key.id, details: { user_id: owner.userId } });
    expect((await auditRows('api_key.revoke'))[0]).toMatchObject({
      actor_user_id: owner.userId,
      target_id: key.id,
    });
  });

  test('When a key has expired, then it is a 401', async () => {
    const owner = await signIn(api, 'trader');
    const soon = new Date(Date.now() + 60_000).toISOString();
    const created = await sendJson(
      api.url,
      'POST',
      '/api/v1/api-keys',
      { name: 'short-lived', scopes: ['account:manage'], expires_at: soon },
      owner.headers,
    );
    expect(created.body.expires_at).toBe(soon);
    expect((await me({ 'X-API-Key': created.body.key })).status).toBe(200);
    await database.db.query(`UPDATE api_keys SET expires_at = now() - interval '1 second'`);
    expect((await me({ 'X-API-Key': created.body.key })).status).toBe(401);
  });

  test('When a user lists or revokes another user’s key, then it does not exist for them (404) and keeps working', async () => {
    const alice = await signIn(api, 'trader');
    const bob = await signIn(api, 'trader');
    const aliceKey = await createApiKey(api.url, alice, ['account:manage']);
    const attempt = await sendJson(
      api.url,
      'DELETE',
      `/api/v1/api-keys/${aliceKey.id}`,
      undefined,
      bob.headers,
    );
    expect(attempt.status).toBe(404);
    const unknown = await sendJson(
      api.url,
      'DELETE',
      `/api/v1/api-keys/${crypto.randomUUID()}`,
      undefined,
      bob.headers,
    );
    expect(unknown.status).toBe(404);
    expect(attempt.body.detail).toBe(unknown.body.detail.replace(/"[^"]+"/, `"${aliceKey.id}"`));
    expect((await request(api.url, '/api/v1/api-keys', { headers: bob.headers })).body.data).toEqual([]);
    expect((await me({ 'X-API-Key': aliceKey.key })).status).toBe(200);
  });

  test('When the key id is not a UUID, then it is a 400 problem, not a database error', async () => {
    const owner = await signIn(api, 'trader');
    const { status } = await sendJson(
      api.url,
      'DELETE',
      '/api/v1/api-keys/not-a-uuid',
      undefined,
      owner.headers,
    );
    expect(status).toBe(400);
  });
});

describe('Keys made with a key', () => {
  const makeWith = (key: string, body: Record<string, unknown>) =>
    sendJson(api.url, 'POST', '/api/v1/api-keys', { name: 'made by a key', ...body }, { 'X-API-Key': key });

  test('When a key makes a key, then the new key expires no later than its maker, whatever it asked, and names its maker', async () => {
    const owner = await signIn(api, 'trader');
    const makerExpiry = new Date(Date.now() + 86_400_000).toISOString();
    const maker = await sendJson(
      api.url,
      'POST',
      '/api/v1/api-keys',
      { name: 'maker', scopes: ['api_keys:manage', 'account:manage'], expires_at: makerExpiry },
      owner.headers,
    );
    expect(maker.status).toBe(201);
    const forever = await makeWith(maker.body.key, { scopes: ['account:manage'] });
    const later = await makeWith(maker.body.key, {
      scopes: ['account:manage'],
      expires_at: new Date(Date.now() + 365 * 86_400_000).toISOString(),
    });
    const sooner = new Date(Date.now() + 3_600_000).toISOString();
    const earlier = await makeWith(maker.body.key, { scopes: ['account:manage'], expires_at: sooner });
    expect([forever.status, later.status, earlier.status]).toEqual([201, 201, 201]);
    expect(forever.body).toMatchObject({ expires_at: makerExpiry, created_by_key_id: maker.body.id });
    expect(later.body.expires_at).toBe(makerExpiry);
    expect(earlier.body.expires_at).toBe(sooner);
    // A key made from a session is nobody's.
    expect(maker.body.created_by_key_id).toBeNull();
    const listed = await request(api.url, '/api/v1/api-keys', { headers: owner.headers });
    expect(
      listed.body.data.filter((key: { created_by_key_id: string | null }) => key.created_by_key_id),
    ).toHaveLength(3);
  });

  test('When the making key is revoked, then the keys made with it, and with those, stop too; revoking a made key leaves its maker working', async () => {
    const owner = await signIn(api, 'trader');
    const maker = await createApiKey(api.url, owner, ['api_keys:manage', 'account:manage']);
    const child = (await makeWith(maker.key, { scopes: ['api_keys:manage', 'account:manage'] })).body;
    const grandchild = (await makeWith(child.key, { scopes: ['account:manage'] })).body;
    const sibling = (await makeWith(maker.key, { scopes: ['account:manage'] })).body;
    const unrelated = await createApiKey(api.url, owner, ['account:manage']);
    expect((await me({ 'X-API-Key': grandchild.key })).status).toBe(200);

    const dropSibling = await sendJson(
      api.url,
      'DELETE',
      `/api/v1/api-keys/${sibling.id}`,
      undefined,
      owner.headers,
    );
    expect(dropSibling.status).toBe(200);
    expect((await me({ 'X-API-Key': maker.key })).status).toBe(200);

    const revoked = await sendJson(
      api.url,
      'DELETE',
      `/api/v1/api-keys/${maker.id}`,
      undefined,
      owner.headers,
    );
    expect(revoked.status).toBe(200);
    for (const key of [maker.key, child.key, grandchild.key])
      expect((await me({ 'X-API-Key': key })).status).toBe(401);
    expect((await me({ 'X-API-Key': unrelated.key })).status).toBe(200);
    const listed = await request(api.url, '/api/v1/api-keys', { headers: owner.headers });
    const revokedIds = listed.body.data
      .filter((key: { revoked_at: string | null }) => key.revoked_at)
      .map((key: { id: string }) => key.id)
      .sort();
    expect(revokedIds).toEqual([maker.id, child.id, grandchild.id, sibling.id].sort());
    expect((await auditRows('api_key.revoke')).at(-1)!.details).toMatchObject({
      keys_made_under_it_revoked: 2,
    });
  });

  test('When the making key stops by any other way (its expiry, a revocation the cascade missed), then the key made with it stops as well', async () => {
    const owner = await signIn(api, 'trader');
    const maker = await createApiKey(api.url, owner, ['api_keys:manage', 'account:manage']);
    const made = (await makeWith(maker.key, { scopes: ['account:manage'] })).body;
    await database.db.query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      maker.id,
    ]);
    expect((await me({ 'X-API-Key': made.key })).status).toBe(401);
    await database.db.query(`UPDATE api_keys SET expires_at = NULL, revoked_at = now() WHERE id = $1`, [
      maker.id,
    ]);
    expect((await me({ 'X-API-Key': made.key })).status).toBe(401);
    await database.db.query(`UPDATE api_keys SET revoked_at = NULL WHERE id = $1`, [maker.id]);
    expect((await me({ 'X-API-Key': made.key })).status).toBe(200);
  });
});
