import { request as httpRequest, type ClientRequest } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { alertChannel } from '../../../core/alerts/index.ts';
import { startTestApi, type TTestApi } from '../../../test/api-server.ts';
import { createApiKey, logIn, sendJson, signIn, TEST_PASSWORD, type TSignedIn } from '../../../test/auth.ts';
import { testConfig } from '../../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../../test/db.ts';

// Ended credentials end a stream through Redis pub/sub at once; the periodic re-check (30 s here) is
// only the safety net, so a stream ending well within this bound was ended by the message.
const ENDS_WITHIN_MS = 5000;

let database: TTestDatabase;
let api: TTestApi;
let admin: TSignedIn;
const open: TStream[] = [];
beforeAll(async () => {
  const config = testConfig({
    RATE_LIMIT_ROLE_QUOTAS: 'admin=100000,trader=100000,analyst=100000,service=100000',
    ALERT_STREAMS_PER_USER: '3',
  });
  database = await createTestDatabase(config);
  api = await startTestApi(config, database.db);
});
afterAll(async () => {
  for (const stream of open) stream.close();
  await api.close();
  await database.drop();
});
beforeEach(async () => {
  for (const stream of open.splice(0)) stream.close();
  await database.truncate();
  admin = await signIn(api, 'admin');
});

type TStream = {
  status: number;
  /** Resolves with everything the stream sent once the server ends it. */
  ended: Promise<string>;
  /** Resolves once `text` has arrived. */
  received: (text: string) => Promise<void>;
  close: () => void;
};

/** Opens an alert stream; resolves when the answer's status is known (a problem's body is read whole). */
function openStream(headers: Record<string, string>, base = api.url): Promise<TStream> {
  return new Promise((resolve, reject) => {
    let req: ClientRequest | null = null;
    req = httpRequest(`${base}/api/v1/alerts/stream`, { headers }, (res) => {
      let text = '';
      const waiting: { text: string; resolve: () => void }[] = [];
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        for (const wait of waiting.filter((each) => text.includes(each.text))) wait.resolve();
      });
      const ended = new Promise<string>((done) => res.on('close', () => done(text)));
      const stream: TStream = {
        status: res.statusCode!,
        ended,
        received: (wanted) =>
          text.includes(wanted)
            ? Promise.resolve()
            : new Promise((done) => waiting.push({ text: wanted, resolve: done })),
        close: () => req!.destroy(),
      };
      open.push(stream);
      if (res.statusCode !== 200) void ended.then(() => resolve(stream));
      else void stream.received('retry: 3000').then(() => resolve(stream));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Fails with `what` unless the stream ends within the bound. */
async function endsSoon(stream: TStream, what: string): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the stream stayed open after ${what}`)), ENDS_WITHIN_MS);
  });
  try {
    return await Promise.race([stream.ended, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const post = (path: string, body: unknown, who: Record<string, string>) =>
  sendJson(api.url, 'POST', path, body, who);
const patchUser = (id: string, change: object) =>
  sendJson(api.url, 'PATCH', `/api/v1/admin/users/${id}`, change, admin.headers);
const publishEvent = (userId: string, id: string) =>
  api.redis.publish(
    alertChannel(api.config.REDIS_KEY_PREFIX, userId),
    JSON.stringify({ id, alert_id: id, fired_at: new Date().toISOString(), event: {} }),
  );

describe('A stream ends when the grant behind it ends', () => {
  test('When the user logs out, then that session’s stream gets event: end and closes at once', async () => {
    const user = await signIn(api, 'trader');
    const stream = await openStream(user.headers);
    expect(stream.status).toBe(200);
    expect((await post('/api/v1/auth/logout', undefined, user.headers)).status).toBe(204);
    const text = await endsSoon(stream, 'logout');
    expect(text).toMatch(/event: end\ndata: \{"reason":"[^"]+"\}/);
  });

  test('When a spent refresh token is presented again, then the streams of that session end', async () => {
    const user = await signIn(api, 'trader');
    const stream = await openStream(user.headers);
    expect((await post('/api/v1/auth/refresh', { refresh_token: user.refreshToken }, {})).status).toBe(200);
    expect((await post('/api/v1/auth/refresh', { refresh_token: user.refreshToken }, {})).status).toBe(401);
    await endsSoon(stream, 'refresh token reuse');
  });

  test('When an admin ends a user’s sessions, then the user’s session streams end', async () => {
    const user = await signIn(api, 'analyst');
    const stream = await openStream(user.headers);
    expect(
      (await post(`/api/v1/admin/users/${user.userId}/revoke-sessions`, undefined, admin.headers)).status,
    ).toBe(200);
    await endsSoon(stream, 'the admin ended the sessions');
  });

  test('When a user is suspended, then both their session’s and their key’s streams end', async () => {
    const user = await signIn(api, 'trader');
    const key = await createApiKey(api.url, user, ['alerts:manage']);
    const bySession = await openStream(user.headers);
    const byKey = await openStream({ 'X-API-Key': key.key });
    expect([bySession.status, byKey.status]).toEqual([200, 200]);
    expect((await patchUser(user.userId, { status: 'suspended' })).status).toBe(200);
    await endsSoon(bySession, 'suspension (session)');
    await endsSoon(byKey, 'suspension (key)');
  });

  test('When a user’s role changes, then their stream ends (a new one is authorized under the new role)', async () => {
    const user = await signIn(api, 'trader');
    const stream = await openStream(user.headers);
    expect((await patchUser(user.userId, { role: 'analyst' })).status).toBe(200);
    await endsSoon(stream, 'the role change');
    const again = await openStream(user.headers);
    expect(again.status).toBe(200);
  });

  test('When the password is changed on one device, then the other session’s stream ends and this one’s keeps streaming', async () => {
    const user = await signIn(api, 'trader');
    const phone = await logIn(api.url, user.email, user.userId);
    const phoneStream = await openStream(phone.headers);
    const ownStream = await openStream(user.headers);
    const changed = await post(
      '/api/v1/me/password',
      { current_password: TEST_PASSWORD, new_password: 'a brand new passphrase 8' },
      user.headers,
    );
    expect(changed.status).toBe(204);
    await endsSoon(phoneStream, 'the password change');
    await publishEvent(user.userId, '42');
    await ownStream.received('id: 42');
  });

  test('When a key is revoked, then its stream ends, and the stream of a key made with it too', async () => {
    const user = await signIn(api, 'trader');
    const maker = await createApiKey(api.url, user, ['alerts:manage', 'api_keys:manage']);
    const made = await post(
      '/api/v1/api-keys',
      { name: 'made by a key', scopes: ['alerts:manage'] },
      {
        'X-API-Key': maker.key,
      },
    );
    expect(made.status).toBe(201);
    const makerStream = await openStream({ 'X-API-Key': maker.key });
    const madeStream = await openStream({ 'X-API-Key': made.body.key });
    const revoked = await sendJson(
      api.url,
      'DELETE',
      `/api/v1/api-keys/${maker.id}`,
      undefined,
      user.headers,
    );
    expect(revoked.status).toBe(200);
    await endsSoon(makerStream, 'the key was revoked');
    await endsSoon(madeStream, 'the key that made it was revoked');
  });

  test('When a password change revokes the API keys, then the keys’ streams end', async () => {
    const user = await signIn(api, 'trader');
    const key = await createApiKey(api.url, user, ['alerts:manage']);
    const stream = await openStream({ 'X-API-Key': key.key });
    const changed = await post(
      '/api/v1/me/password',
      { current_password: TEST_PASSWORD, new_password: 'a brand new passphrase 8', revoke_api_keys: true },
      user.headers,
    );
    expect(changed.status).toBe(204);
    await endsSoon(stream, 'the password change that revoked the keys');
  });
});

describe('The periodic re-check', () => {
  test('When a session ends without any message (expiry, or a message lost), then the stream still ends within ALERT_STREAM_RECHECK_SECONDS', async () => {
    const quick = await startTestApi(
      testConfig({
        ALERT_STREAM_RECHECK_SECONDS: '1',
        REDIS_KEY_PREFIX: `${api.config.REDIS_KEY_PREFIX}quick:`,
      }),
      database.db,
    );
    try {
      const user = await signIn(quick, 'trader');
      const key = await createApiKey(quick.url, user, ['alerts:manage']);
      const bySession = await openStream(user.headers, quick.url);
      const byKey = await openStream({ 'X-API-Key': key.key }, quick.url);
      await database.db.query(`UPDATE sessions SET expires_at = now() WHERE user_id = $1`, [user.userId]);
      await database.db.query(`UPDATE api_keys SET expires_at = now() WHERE id = $1`, [key.id]);
      await endsSoon(bySession, 'the session expired');
      await endsSoon(byKey, 'the key expired');
    } finally {
      await quick.close();
    }
  });
});

describe('Open streams per user', () => {
  test('When a user has ALERT_STREAMS_PER_USER streams open over sessions, keys and replicas, then one more is a 429 problem; closing one frees its place', async () => {
    const replica = await startTestApi({ ...api.config }, database.db);
    try {
      const user = await signIn(api, 'trader');
      const key = await createApiKey(api.url, user, ['alerts:manage']);
      const first = await openStream(user.headers);
      const second = await openStream({ 'X-API-Key': key.key }, replica.url);
      const third = await openStream(user.headers, replica.url);
      expect([first.status, second.status, third.status]).toEqual([200, 200, 200]);
      const refused = await fetch(`${api.url}/api/v1/alerts/stream`, { headers: user.headers });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(((await refused.json()) as { detail: string }).detail).toContain('3');
      // Another user is not held back by this one's streams.
      expect((await openStream((await signIn(api, 'analyst')).headers)).status).toBe(200);
      first.close();
      await first.ended;
      const deadline = Date.now() + ENDS_WITHIN_MS;
      let reopened = await openStream(user.headers);
      while (reopened.status === 429 && Date.now() < deadline) reopened = await openStream(user.headers);
      expect(reopened.status).toBe(200);
    } finally {
      await replica.close();
    }
  });

  test('When many streams of one user open at once, then no more than the cap are admitted', async () => {
    const user = await signIn(api, 'trader');
    const attempts = await Promise.all(Array.from({ length: 10 }, () => openStream(user.headers)));
    expect(attempts.filter((stream) => stream.status === 200)).toHaveLength(3);
    expect(attempts.filter((stream) => stream.status === 429)).toHaveLength(7);
  });
});
