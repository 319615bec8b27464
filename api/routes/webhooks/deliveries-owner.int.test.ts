import { afterAll, beforeAll, beforeEach, expect, test } from '@jest/globals';
import { startTestApi, type TTestApi } from '../../../test/api-server.ts';
import { logIn, sendJson, signIn, type TSignedIn } from '../../../test/auth.ts';
import { testConfig } from '../../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../../test/db.ts';
import { WebhookReceiver } from '../../../test/webhook-receiver.ts';
import { startTestWorkers, type TTestWorkers } from '../../../test/worker-harness.ts';

/**
 * A delivery goes out only while its endpoint's owner may still receive it: an owner suspended, or whose
 * role no longer holds alerts:manage, gets nothing more, even for events queued before the change.
 */
let database: TTestDatabase;
let api: TTestApi;
let workers: TTestWorkers;
let admin: TSignedIn;
const receiver = new WebhookReceiver();

beforeAll(async () => {
  const config = testConfig({
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    WEBHOOK_RETRY_SCHEDULE: '50ms,50ms',
    WORKER_QUEUES: 'deliver-webhook',
    RATE_LIMIT_ROLE_QUOTAS: 'admin=100000,trader=100000,analyst=100000',
  });
  database = await createTestDatabase(config);
  api = await startTestApi(config, database.db);
  workers = await startTestWorkers(config, database.db);
  await receiver.start();
});
afterAll(async () => {
  await receiver.close();
  await workers.close();
  await api.close();
  await database.drop();
});
beforeEach(async () => {
  await database.truncate();
  receiver.received = [];
  admin = await signIn(api, 'admin');
});

/** A trader with one endpoint subscribed to alert.fired, and an event for it stored but not yet scheduled. */
async function ownerWithPendingEvent(path: string) {
  const owner = await signIn(api, 'trader');
  const created = await sendJson(
    api.url,
    'POST',
    '/api/v1/webhooks',
    { url: `http://127.0.0.1:${receiver.port}${path}`, events: ['alert.fired'] },
    owner.headers,
  );
  expect(created.status).toBe(201);
  const ids = await database.db.transaction((tx) =>
    api.services.webhooks.stage(tx, owner.userId, 'alert.fired', { portfolio_value: '1234.5' }),
  );
  expect(ids).toHaveLength(1);
  return { owner, endpointId: created.body.id as string, deliveryId: ids[0]! };
}

async function settled(deliveryId: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let row: Record<string, unknown> | undefined;
  while (Date.now() < deadline) {
    [row] = await database.db.query(
      `SELECT status, attempts, last_status_code, last_error FROM webhook_deliveries WHERE id = $1`,
      [deliveryId],
    );
    if (row && ['succeeded', 'dead'].includes(row.status as string)) return row;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`delivery ${deliveryId} did not settle: ${JSON.stringify(row)}`);
}

const changeUser = (userId: string, change: Record<string, string>) =>
  sendJson(api.url, 'PATCH', `/api/v1/admin/users/${userId}`, change, admin.headers);

test('When the endpoint’s owner is suspended after the event, then the delivery is not sent, not retried and not dead-lettered', async () => {
  const { owner, endpointId, deliveryId } = await ownerWithPendingEvent('/suspended');
  expect((await changeUser(owner.userId, { status: 'suspended' })).status).toBe(200);
  await api.services.webhooks.schedule([deliveryId]);
  expect(await settled(deliveryId)).toEqual({
    status: 'dead',
    attempts: 0,
    last_status_code: null,
    last_error: 'not sent: the endpoint’s owner is suspended',
  });
  expect(receiver.received).toEqual([]);
  const [endpoint] = await database.db.query(
    `SELECT status, consecutive_failures FROM webhook_endpoints WHERE id = $1`,
    [endpointId],
  );
  expect(endpoint).toEqual({ status: 'enabled', consecutive_failures: 0 });
  expect(await workers.queues.deadLetter.getJobCounts('waiting')).toMatchObject({ waiting: 0 });
});

test('When the owner’s role no longer holds alerts:manage, then the delivery is not sent; restored, a redelivery goes out', async () => {
  const { owner, endpointId, deliveryId } = await ownerWithPendingEvent('/demoted');
  expect((await changeUser(owner.userId, { role: 'service' })).status).toBe(200);
  await api.services.webhooks.schedule([deliveryId]);
  expect(await settled(deliveryId)).toMatchObject({
    status: 'dead',
    last_error: 'not sent: the endpoint’s owner no longer holds alerts:manage',
  });
  expect(receiver.received).toEqual([]);

  expect((await changeUser(owner.userId, { role: 'trader' })).status).toBe(200);
  const again = await sendJson(
    api.url,
    'POST',
    `/api/v1/webhooks/${endpointId}/deliveries/${deliveryId}/redeliver`,
    undefined,
    (await logIn(api.url, owner.email)).headers,
  );
  expect(again.status).toBe(202);
  const [received] = await receiver.waitFor('/demoted');
  expect(received!.headers['webhook-id']).toBe(deliveryId);
});

test('When the owner is active with the permission, then the same event is delivered (the control)', async () => {
  const { deliveryId } = await ownerWithPendingEvent('/active');
  await api.services.webhooks.schedule([deliveryId]);
  expect(await settled(deliveryId)).toMatchObject({ status: 'succeeded', attempts: 1 });
  expect(JSON.parse((await receiver.waitFor('/active'))[0]!.body).data).toEqual({
    portfolio_value: '1234.5',
  });
});
