import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createSecretBox, verifyWebhookSignature } from '../../../core/webhooks/index.ts';
import { startTestApi, type TTestApi } from '../../../test/api-server.ts';
import { sendJson, signIn, type TSignedIn } from '../../../test/auth.ts';
import { testConfig } from '../../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../../test/db.ts';
import { withContext } from '../../../test/expect-context.ts';
import { request } from '../../../test/openapi-conformance.ts';
import { startProcess } from '../../../test/processes.ts';
import { WebhookReceiver, type TReceived } from '../../../test/webhook-receiver.ts';
import { startTestWorkers, type TTestWorkers } from '../../../test/worker-harness.ts';

/**
 * Rotating SECRET_KEY: endpoint secrets sealed under the old key keep signing while it is listed in
 * SECRET_KEY_PREVIOUS, `npm run admin -- reseal-secrets` moves every sealed secret to the new key, and
 * then the old key can go. Access tokens derived from the old key keep verifying meanwhile.
 */
const KEY_A = randomBytes(32).toString('hex');
const KEY_B = randomBytes(32).toString('hex');
const KEY_UNKNOWN = randomBytes(32).toString('hex');
type TSetup = { api: TTestApi; workers?: TTestWorkers };

let database: TTestDatabase;
let before: TSetup;
let during: TSetup;
let after: TSetup;
const receiver = new WebhookReceiver();
const settings = {
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  WEBHOOK_RETRY_SCHEDULE: '50ms',
  WORKER_QUEUES: 'deliver-webhook',
};

async function setUp(keys: Record<string, string>, withWorkers: boolean): Promise<TSetup> {
  const config = testConfig({ ...settings, ...keys });
  database ??= await createTestDatabase(config);
  return {
    api: await startTestApi(config, database.db),
    ...(withWorkers ? { workers: await startTestWorkers(config, database.db) } : {}),
  };
}

beforeAll(async () => {
  await receiver.start();
  before = await setUp({ SECRET_KEY: KEY_A }, false);
  during = await setUp({ SECRET_KEY: KEY_B, SECRET_KEY_PREVIOUS: KEY_A }, true);
  after = await setUp({ SECRET_KEY: KEY_B }, true);
});
afterAll(async () => {
  for (const setup of [before, during, after]) {
    await setup?.workers?.close();
    await setup?.api.close();
  }
  await receiver.close();
  await database?.drop();
});

/** A box in the form stored before key ids (v1), sealed under `secretKey`: data written by the old code. */
function legacyBox(plain: string, secretKey: string): string {
  const key = Buffer.from(hkdfSync('sha256', secretKey, 'trading-backend', 'webhook-secrets', 32));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return `v1.${iv.toString('base64')}.${cipher.getAuthTag().toString('base64')}.${sealed.toString('base64')}`;
}

const verifies = (secret: string, received: TReceived) =>
  verifyWebhookSignature(
    secret,
    {
      id: String(received.headers['webhook-id']),
      timestamp: String(received.headers['webhook-timestamp']),
      signature: String(received.headers['webhook-signature']),
    },
    received.body,
  );

/** Sends an alert.fired event to every endpoint of `owner` through `setup` and returns what each path received. */
async function deliverAll(setup: TSetup, owner: TSignedIn, paths: string[]) {
  const counts = Object.fromEntries(
    paths.map((path) => [path, receiver.received.filter((r) => r.path === path).length]),
  );
  const ids = await database.db.transaction((tx) =>
    setup.api.services.webhooks.stage(tx, owner.userId, 'alert.fired', { n: 1 }),
  );
  await setup.api.services.webhooks.schedule(ids);
  return Object.fromEntries(
    await Promise.all(
      paths.map(async (path) => [path, (await receiver.waitFor(path, counts[path]! + 1)).at(-1)!] as const),
    ),
  );
}

const reseal = (keys: Record<string, string>) =>
  startProcess('core/auth/admin-cli.ts', { DATABASE_URL: database.url, LOG_LEVEL: 'silent', ...keys }, [
    'reseal-secrets',
  ]);

test('When SECRET_KEY is rotated with the old key kept, then sealed secrets keep signing and old tokens keep working; after reseal-secrets the old key can go', async () => {
  // Before: endpoints registered under key A, one with its secret rotated (two secrets in force), one
  // stored in the form the code wrote before sealed secrets named their key.
  const owner = await signIn(before.api, 'trader');
  const register = async (path: string) => {
    const created = await sendJson(
      before.api.url,
      'POST',
      '/api/v1/webhooks',
      { url: `http://127.0.0.1:${receiver.port}${path}`, events: ['alert.fired'] },
      owner.headers,
    );
    expect(created.status).toBe(201);
    return created.body as { id: string; secret: string };
  };
  const rotated = await register('/rotated');
  const newer = await sendJson(
    before.api.url,
    'POST',
    `/api/v1/webhooks/${rotated.id}/rotate-secret`,
    undefined,
    owner.headers,
  );
  const plain = await register('/plain');
  const legacy = await register('/legacy');
  await database.db.query(`UPDATE webhook_endpoints SET secret_box = $2 WHERE id = $1`, [
    legacy.id,
    legacyBox(legacy.secret, KEY_A),
  ]);
  const paths = ['/rotated', '/plain', '/legacy'];

  // During: key B signs new things, key A still opens what it sealed.
  const first = await deliverAll(during, owner, paths);
  expect(verifies(newer.body.secret, first['/rotated']!)).toBe(true);
  expect(verifies(rotated.secret, first['/rotated']!)).toBe(true);
  expect(verifies(plain.secret, first['/plain']!)).toBe(true);
  expect(verifies(legacy.secret, first['/legacy']!)).toBe(true);
  expect((await request(during.api.url, '/api/v1/me', { headers: owner.headers })).status).toBe(200);

  const run = reseal({ SECRET_KEY: KEY_B, SECRET_KEY_PREVIOUS: KEY_A });
  const code = await run.exited;
  withContext(run.output(), () => expect(code).toBe(0));
  expect(JSON.parse(run.output().trim())).toEqual({ checked: 3, resealed: 3, unreadable: [] });
  const kidB = createSecretBox(KEY_B).keyId;
  for (const row of await database.db.query(
    `SELECT secret_box, previous_secret_box FROM webhook_endpoints`,
  )) {
    expect(row.secret_box.startsWith(`v2.${kidB}.`)).toBe(true);
    if (row.previous_secret_box) expect(row.previous_secret_box.startsWith(`v2.${kidB}.`)).toBe(true);
  }
  const [audit] = await database.db.query(
    `SELECT outcome, details FROM audit_events WHERE action = 'webhook.reseal_secrets'`,
  );
  expect(audit).toMatchObject({ outcome: 'success', details: { checked: 3, resealed: 3 } });

  // After: key B alone opens everything, and a second run has nothing left to do.
  const second = await deliverAll(after, owner, paths);
  expect(verifies(newer.body.secret, second['/rotated']!)).toBe(true);
  expect(verifies(rotated.secret, second['/rotated']!)).toBe(true);
  expect(verifies(plain.secret, second['/plain']!)).toBe(true);
  expect(verifies(legacy.secret, second['/legacy']!)).toBe(true);
  const again = reseal({ SECRET_KEY: KEY_B });
  expect(await again.exited).toBe(0);
  expect(JSON.parse(again.output().trim())).toEqual({ checked: 3, resealed: 0, unreadable: [] });
  // The access token signed under key A's derived key no longer verifies once key A is gone.
  expect((await request(after.api.url, '/api/v1/me', { headers: owner.headers })).status).toBe(401);
});

test('When a sealed secret opens with no configured key, then reseal-secrets leaves it, names it and exits non-zero', async () => {
  const owner = await signIn(during.api, 'trader');
  const created = await sendJson(
    during.api.url,
    'POST',
    '/api/v1/webhooks',
    { url: `http://127.0.0.1:${receiver.port}/lost`, events: ['alert.fired'] },
    owner.headers,
  );
  const lost = legacyBox(created.body.secret, KEY_UNKNOWN);
  await database.db.query(`UPDATE webhook_endpoints SET secret_box = $2 WHERE id = $1`, [
    created.body.id,
    lost,
  ]);
  const run = reseal({ SECRET_KEY: KEY_B, SECRET_KEY_PREVIOUS: KEY_A });
  expect(await run.exited).toBe(1);
  expect(run.output()).toContain(created.body.id);
  expect(run.output()).toMatch(
    /1 endpoint\(s\) sealed under a key that is neither SECRET_KEY nor in SECRET_KEY_PREVIOUS/,
  );
  const [row] = await database.db.query(`SELECT secret_box FROM webhook_endpoints WHERE id = $1`, [
    created.body.id,
  ]);
  expect(row.secret_box).toBe(lost);
  expect(await reseal({}).exited).toBe(2); // no SECRET_KEY: it would seal under a key that dies with it
});
