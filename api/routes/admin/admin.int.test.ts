import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { deleteAuditOlderThan } from '../../../core/audit/index.ts';
import { inTransaction } from '../../../core/platform/db/tx.ts';
import { startTestApi, type TTestApi } from '../../../test/api-server.ts';
import { createApiKey, logIn, sendJson, signIn, TEST_PASSWORD, type TSignedIn } from '../../../test/auth.ts';
import { testConfig } from '../../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../../test/db.ts';
import { request } from '../../../test/openapi-conformance.ts';

let database: TTestDatabase;
let api: TTestApi;
let admin: TSignedIn;
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
  admin = await signIn(api, 'admin');
});

const get = (path: string, who: TSignedIn = admin) => request(api.url, path, { headers: who.headers });
const patchUser = (id: string, change: object, who: TSignedIn = admin) =>
  sendJson(api.url, 'PATCH', `/api/v1/admin/users/${id}`, change, who.headers);
const me = (headers: Record<string, string>) => request(api.url, '/api/v1/me', { headers });

describe('Registering and finding users', () => {
  test('When an admin registers a user, then it is 201 with the id, the user can log in, and the email is taken for any case', async () => {
    const email = `new.trader-${randomUUID().slice(0, 6)}@example.com`;
    const created = await sendJson(
      api.url,
      'POST',
      '/api/v1/admin/users',
      { email, password: TEST_PASSWORD, role: 'trader', display_name: 'New Trader' },
      admin.headers,
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      email,
      role: 'trader',
      status: 'active',
      display_name: 'New Trader',
    });
    expect(created.body).not.toHaveProperty('password_hash');
    expect((await logIn(api.url, email)).accessToken).toBeTruthy();
    const again = await sendJson(
      api.url,
      'POST',
      '/api/v1/admin/users',
      { email: email.toUpperCase(), password: TEST_PASSWORD, role: 'analyst', display_name: 'Twin' },
      admin.headers,
    );
    expect(again.status).toBe(409);
    const [event] = await database.db.query(
      `SELECT * FROM audit_events WHERE action = 'user.create' AND details->>'via' = 'admin'`,
    );
    expect(event).toMatchObject({
      actor_user_id: admin.userId,
      target_id: created.body.id,
      outcome: 'success',
    });
  });

  test.each([
    ['a common password', { password: 'qwerty123456' }],
    ['an unknown role', { role: 'root' }],
    ['no display name', { display_name: '' }],
    ['an invalid email', { email: 'nobody' }],
  ])('When the new user has %s, then it is a 400 problem', async (_name, change) => {
    const { status, headers } = await sendJson(
      api.url,
      'POST',
      '/api/v1/admin/users',
      {
        email: `x-${randomUUID().slice(0, 6)}@example.com`,
        password: TEST_PASSWORD,
        role: 'trader',
        display_name: 'X',
        ...change,
      },
      admin.headers,
    );
    expect(status).toBe(400);
    expect(headers.get('content-type')).toContain('application/problem+json');
  });

  test('When users are searched by email part, role and status, then only matches come back, oldest first, paged by cursor without gaps or repeats', async () => {
    const made: string[] = [];
    for (let index = 0; index < 7; index++) {
      const user = await api.services.users.createBySystem(
        {
          email: `desk${index}@Fund.example`,
          password: TEST_PASSWORD,
          role: index % 2 ? 'analyst' : 'trader',
          display_name: `Desk ${index}`,
        },
        'test',
      );
      made.push(user.id);
    }
    await patchUser(made[2]!, { status: 'suspended' });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `/api/v1/admin/users?email=fund.EXAMPLE&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await get(query);
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((user: { id: string }) => user.id));
      cursor = page.body.pagination.next_cursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(seen).toEqual(made);
    expect(pages).toBe(3);
    const analysts = await get('/api/v1/admin/users?role=analyst&email=fund');
    expect(analysts.body.data.map((user: { id: string }) => user.id)).toEqual([made[1], made[3], made[5]]);
    const suspended = await get('/api/v1/admin/users?status=suspended');
    expect(suspended.body.data.map((user: { id: string }) => user.id)).toEqual([made[2]]);
  });

  test.each([
    ['a cursor that is no cursor', '/api/v1/admin/users?cursor=abc'],
    ['a limit over 200', '/api/v1/admin/users?limit=201'],
    ['an unknown status', '/api/v1/admin/users?status=deleted'],
    ['an unknown parameter', '/api/v1/admin/users?sort=email'],
  ])('When the search has %s, then it is a 400 problem', async (_name, path) => {
    expect((await get(path)).status).toBe(400);
  });

  test('When a user id is unknown or not a UUID, then it is 404 or 400', async () => {
    expect((await get(`/api/v1/admin/users/${randomUUID()}`)).status).toBe(404);
    expect((await get('/api/v1/admin/users/42')).status).toBe(400);
    expect((await patchUser(randomUUID(), { role: 'analyst' })).status).toBe(404);
  });
});

describe('Changing roles and status', () => {
  test('When a user’s role changes, then their next request has the new role’s permissions, with no new login', async () => {
    const user = await signIn(api, 'service');
    expect((await me(user.headers)).body.permissions).toContain('jobs:trigger');
    const changed = await patchUser(user.userId, { role: 'analyst' });
    expect(changed.status).toBe(200);
    expect(changed.body.role).toBe('analyst');
    const after = await me(user.headers);
    expect(after.body.role).toBe('analyst');
    expect(after.body.permissions).not.toContain('jobs:trigger');
    const [event] = await database.db.query(`SELECT details FROM audit_events WHERE action = 'user.update'`);
    expect(event.details).toEqual({ role: ['service', 'analyst'] });
  });

  test('When a user is suspended, then their sessions end and their keys stop at once; reactivated, keys work again but sessions stay ended', async () => {
    const user = await signIn(api, 'trader');
    const key = await createApiKey(api.url, user, ['account:manage']);
    expect((await me({ 'X-API-Key': key.key })).status).toBe(200);
    const suspended = await patchUser(user.userId, { status: 'suspended' });
    expect(suspended.status).toBe(200);
    expect(suspended.body.status).toBe('suspended');
    expect((await me(user.headers)).status).toBe(401);
    expect((await me({ 'X-API-Key': key.key })).status).toBe(401);
    const refresh = await sendJson(api.url, 'POST', '/api/v1/auth/refresh', {
      refresh_token: user.refreshToken,
    });
    expect(refresh.status).toBe(401);
    const [event] = await database.db.query(`SELECT details FROM audit_events WHERE action = 'user.update'`);
    expect(event.details).toEqual({ status: ['active', 'suspended'], sessions_ended: 1 });
    await patchUser(user.userId, { status: 'active' });
    expect((await me({ 'X-API-Key': key.key })).status).toBe(200);
    expect((await me(user.headers)).status).toBe(401);
  });

  test('When an admin ends a user’s sessions, then every one of them stops, and the user can log in again', async () => {
    const user = await signIn(api, 'trader');
    const second = await logIn(api.url, user.email, user.userId);
    const ended = await sendJson(
      api.url,
      'POST',
      `/api/v1/admin/users/${user.userId}/revoke-sessions`,
      undefined,
      admin.headers,
    );
    expect(ended.status).toBe(200);
    expect(ended.body).toEqual({ sessions_ended: 2 });
    expect((await me(user.headers)).status).toBe(401);
    expect((await me(second.headers)).status).toBe(401);
    expect((await logIn(api.url, user.email)).accessToken).toBeTruthy();
  });

  test('When the last active admin would be demoted or suspended, then it is a 409 and nothing changes (no audit row of a change)', async () => {
    for (const change of [{ role: 'trader' }, { status: 'suspended' }]) {
      const { status, body } = await patchUser(admin.userId, change);
      expect(status).toBe(409);
      expect(body.detail).toContain('last active admin');
    }
    expect((await me(admin.headers)).body.role).toBe('admin');
    expect(await database.db.query(`SELECT 1 FROM audit_events WHERE action = 'user.update'`)).toHaveLength(
      0,
    );
  });

  test('When two admins demote each other at the same moment, then exactly one succeeds and one admin remains', async () => {
    const other = await signIn(api, 'admin');
    const results = await Promise.all([
      patchUser(other.userId, { role: 'trader' }, admin),
      patchUser(admin.userId, { role: 'trader' }, other),
    ]);
    // The loser is refused under the lock (409: the last active admin), or, when the winner committed
    // before the loser's request was authenticated, as no longer an admin (403).
    const [won, lost] = results.map((result) => result.status).sort();
    expect(won).toBe(200);
    expect([403, 409]).toContain(lost);
    const [{ count }] = await database.db.query(
      `SELECT count(*)::int AS count FROM users WHERE role = 'admin' AND status = 'active'`,
    );
    expect(count).toBe(1);
  });

  test('When the patch is empty or names an unknown field, then it is a 400 problem', async () => {
    expect((await patchUser(admin.userId, {})).status).toBe(400);
    expect((await patchUser(admin.userId, { email: 'x@example.com' })).status).toBe(400);
  });
});

describe('Any user’s API keys', () => {
  test('When an admin lists and revokes another user’s key, then the key stops and the revocation names the admin', async () => {
    const user = await signIn(api, 'trader');
    const key = await createApiKey(api.url, user, ['account:manage']);
    const listed = await get(`/api/v1/admin/users/${user.userId}/api-keys`);
    expect(listed.status).toBe(200);
    expect(listed.body.data).toEqual([
      expect.objectContaining({ id: key.id, user_id: user.userId, prefix: key.prefix }),
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(key.key);
    const revoked = await sendJson(
      api.url,
      'DELETE',
      `/api/v1/admin/api-keys/${key.id}`,
      undefined,
      admin.headers,
    );
    expect(revoked.status).toBe(200);
    expect((await me({ 'X-API-Key': key.key })).status).toBe(401);
    const [row] = await database.db.query('SELECT revoked_by FROM api_keys WHERE id = $1', [key.id]);
    expect(row.revoked_by).toBe(admin.userId);
    expect(
      (await sendJson(api.url, 'DELETE', `/api/v1/admin/api-keys/${randomUUID()}`, undefined, admin.headers))
        .status,
    ).toBe(404);
  });
});

describe('The audit log', () => {
  test('When events are listed, then they come newest first with actor, IP, request id, action, target and outcome, and filters narrow them', async () => {
    const user = await signIn(api, 'trader');
    await patchUser(user.userId, { display_name: 'Renamed' });
    const all = await get('/api/v1/admin/audit');
    expect(all.status).toBe(200);
    const actions = all.body.data.map((event: { action: string }) => event.action);
    expect(actions.slice(0, 2)).toEqual(['user.update', 'auth.login']);
    const update = all.body.data[0];
    expect(update).toMatchObject({
      actor_type: 'user',
      actor_user_id: admin.userId,
      ip: expect.any(String),
      request_id: expect.any(String),
      target_type: 'user',
      target_id: user.userId,
      outcome: 'success',
      details: { display_name: 'Renamed' },
    });
    const byAction = await get('/api/v1/admin/audit?action=user.update');
    expect(byAction.body.data).toHaveLength(1);
    const byActor = await get(`/api/v1/admin/audit?actor=${admin.userId}`);
    expect(
      byActor.body.data.every((event: { actor_user_id: string }) => event.actor_user_id === admin.userId),
    ).toBe(true);
    const byTarget = await get(`/api/v1/admin/audit?target=${user.userId}`);
    expect(byTarget.body.data.map((event: { action: string }) => event.action).sort()).toEqual([
      'auth.login',
      'user.create',
      'user.update',
    ]);
    const future = await get('/api/v1/admin/audit?from=2999-01-01T00:00:00Z');
    expect(future.body.data).toEqual([]);
    const past = await get('/api/v1/admin/audit?to=2000-01-01T00:00:00Z');
    expect(past.body.data).toEqual([]);
  });

  test('When the log is paged, then every event appears exactly once', async () => {
    for (let index = 0; index < 5; index++) await patchUser(admin.userId, { display_name: `Admin ${index}` });
    const [{ count }] = await database.db.query('SELECT count(*)::int AS count FROM audit_events');
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(
        `/api/v1/admin/audit?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      seen.push(...page.body.data.map((event: { id: string }) => event.id));
      cursor = page.body.pagination.next_cursor;
    } while (cursor);
    // Reading the log is not itself an audit event, so the count holds while paging.
    expect(seen).toHaveLength(count);
    expect(new Set(seen).size).toBe(count);
  });

  test('When anyone tries to change or delete audit rows, then PostgreSQL refuses, even the table owner', async () => {
    await patchUser(admin.userId, { display_name: 'Someone' });
    await expect(database.db.query(`UPDATE audit_events SET outcome = 'failure'`)).rejects.toThrow(
      /append-only/,
    );
    await expect(database.db.query('DELETE FROM audit_events')).rejects.toThrow(/append-only/);
    await expect(database.db.query('TRUNCATE audit_events')).rejects.toThrow(/append-only/);
    expect((await database.db.query('SELECT 1 FROM audit_events')).length).toBeGreaterThan(0);
  });

  test('When the change an audit row records rolls back, then the audit row rolls back with it', async () => {
    const before = (await database.db.query('SELECT count(*)::int AS count FROM audit_events'))[0].count;
    await expect(
      inTransaction(database.db, async (tx) => {
        await api.services.audit.record(
          tx,
          { kind: 'system' },
          { action: 'test.change', outcome: 'success' },
        );
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    const after = (await database.db.query('SELECT count(*)::int AS count FROM audit_events'))[0].count;
    expect(after).toBe(before);
  });

  test('When a signed-in user is refused a permission, then the denial is audited with the route and permission', async () => {
    const user = await signIn(api, 'analyst');
    expect((await get('/api/v1/admin/audit', user)).status).toBe(403);
    const [event] = await database.db.query(`SELECT * FROM audit_events WHERE action = 'authz.denied'`);
    expect(event).toMatchObject({
      actor_user_id: user.userId,
      outcome: 'denied',
      details: { route: 'GET /api/v1/admin/audit', permission: 'audit:read' },
    });
  });

  test('When old events pass the retention, then only they are removed, in batches, by the retention path alone', async () => {
    await patchUser(admin.userId, { display_name: 'Kept' });
    // Back-dated rows are inserted: the trigger refuses every UPDATE, retention or not.
    await database.db.query(
      `INSERT INTO audit_events (at, actor_type, action, outcome)
       SELECT now() - interval '400 days' - n * interval '1 minute', 'system', 'test.old', 'success'
       FROM generate_series(1, 7) AS n`,
    );
    const result = await deleteAuditOlderThan(database.db, { days: 365, batchSize: 3 });
    expect(result.deleted).toBe(7);
    const actions = (await database.db.query('SELECT action FROM audit_events')).map(
      (row: { action: string }) => row.action,
    );
    expect(actions).not.toContain('test.old');
    expect(actions).toContain('user.update');
  });
});

describe('The first admin', () => {
  test('When five replicas start together with BOOTSTRAP_ADMIN_*, then exactly one admin is made; later starts make none', async () => {
    await database.truncate();
    const email = `boot-${randomUUID().slice(0, 6)}@example.com`;
    const results = await Promise.all(
      Array.from({ length: 5 }, () => api.services.users.bootstrapAdmin(email, TEST_PASSWORD)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await api.services.users.bootstrapAdmin(`other-${email}`, TEST_PASSWORD)).toBeNull();
    const admins = await database.db.query(`SELECT email FROM users WHERE role = 'admin'`);
    expect(admins).toEqual([{ email }]);
    expect((await logIn(api.url, email)).accessToken).toBeTruthy();
    expect(await api.services.users.bootstrapAdmin(undefined, undefined)).toBeNull();
  });

  test('When the bootstrap password is weak, then start-up is refused with the reason', async () => {
    await database.truncate();
    await expect(api.services.users.bootstrapAdmin('weak@example.com', 'short')).rejects.toThrow(/password/);
  });
});
