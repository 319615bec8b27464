import { execFileSync } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { startTestApi, type TTestApi } from '../../../test/api-server.ts';
import { sendJson, signIn, type TSignedIn } from '../../../test/auth.ts';
import { testConfig } from '../../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../../test/db.ts';
import { request } from '../../../test/openapi-conformance.ts';
import { startTestWorkers, type TTestWorkers } from '../../../test/worker-harness.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const PYTHON = path.join(
  process.env.TEST_PYTHON_BIN ?? '/usr/bin',
  process.env.TEST_PYTHON_BIN ? 'python' : 'python3',
);

type TReceived = { path: string; headers: IncomingHttpHeaders; body: string };

/** A local receiver: records every request; `answer` decides each status (200 by default). */
class Receiver {
  received: TReceived[] = [];
  answer: (request: TReceived) => number = () => 200;
  private server!: Server;
  url = '';
  async start() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const entry = {
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.received.push(entry);
        const status = this.answer(entry);
        res.writeHead(status, status === 302 ? { location: 'http://127.0.0.1:9/' } : {}).end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  close() {
    return new Promise((resolve) => this.server.close(resolve));
  }
  /** Waits until `count` requests reached `path`. */
  async waitFor(path: string, count: number, timeoutMs = 15_000): Promise<TReceived[]> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const hits = this.received.filter((entry) => entry.path === path);
      if (hits.length >= count) return hits;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(
      `${path}: ${this.received.filter((entry) => entry.path === path).length} of ${count} requests arrived`,
    );
  }
}

let database: TTestDatabase;
let api: TTestApi;
let strictApi: TTestApi;
let workers: TTestWorkers;
let owner: TSignedIn;
const receiver = new Receiver();
beforeAll(async () => {
  const config = testConfig({
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    WEBHOOK_RETRY_SCHEDULE: '50ms,50ms,50ms',
    WEBHOOK_DISABLE_AFTER_DEAD: '2',
    WEBHOOK_TIMEOUT_MS: '2000',
    RATE_LIMIT_ROLE_QUOTAS: 'admin=100000,trader=100000,analyst=100000',
  });
  database = await createTestDatabase(config);
  api = await startTestApi(config, database.db);
  strictApi = await startTestApi({ ...config, WEBHOOK_ALLOW_PRIVATE_TARGETS: false }, database.db);
  workers = await startTestWorkers(config, database.db);
  await receiver.start();
});
afterAll(async () => {
  await receiver.close();
  await workers.close();
  await strictApi.close();
  await api.close();
  await database.drop();
});
beforeEach(async () => {
  await database.truncate();
  receiver.received = [];
  receiver.answer = () => 200;
  owner = await signIn(api, 'trader');
});

const send = (
  method: 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  who: TSignedIn = owner,
  base = api.url,
) => sendJson(base, method, path, body, who.headers);
const get = (path: string, who: TSignedIn = owner) => request(api.url, path, { headers: who.headers });
async function endpoint(hookPath: string, events = ['alert.fired']) {
  const created = await send('POST', '/api/v1/webhooks', { url: `${receiver.url}${hookPath}`, events });
  expect(created.status).toBe(201);
  return created.body as { id: string; secret: string };
}
async function waitForDelivery(endpointId: string, deliveryId: string, status: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let last: Record<string, unknown> | undefined;
  while (Date.now() < deadline) {
    const list = await get(`/api/v1/webhooks/${endpointId}/deliveries`);
    last = list.body.data.find((delivery: { id: string }) => delivery.id === deliveryId);
    if (last?.status === status) return last;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`delivery ${deliveryId} did not become ${status}: ${JSON.stringify(last)}`);
}
/** Python's standard library, not our code, says whether the signature is right. */
function pythonVerifies(secret: string, received: TReceived): string {
  const input = JSON.stringify({
    secret,
    id: received.headers['webhook-id'],
    timestamp: received.headers['webhook-timestamp'],
    signature: received.headers['webhook-signature'],
    body: received.body,
  });
  try {
    return execFileSync(PYTHON, [path.join(ROOT, 'scripts/webhook-verify.py')], {
      input,
      encoding: 'utf8',
    }).trim();
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error).trim();
  }
}

describe('Webhook endpoints', () => {
  test('When an endpoint is registered, then its secret is shown once, it is listed without it, and others cannot see it', async () => {
    const created = await endpoint('/a', ['alert.fired', 'limit.breached']);
    expect(created.secret).toMatch(/^whsec_/);
    const listed = await get('/api/v1/webhooks');
    expect(listed.body.data).toHaveLength(1);
    expect(JSON.stringify(listed.body)).not.toContain(created.secret);
    expect((await get(`/api/v1/webhooks/${created.id}`)).body).toMatchObject({
      status: 'enabled',
      events: ['alert.fired', 'limit.breached'],
    });
    const [{ secret_box: box }] = await database.db.query(`SELECT secret_box FROM webhook_endpoints`);
    expect(box).not.toContain(created.secret.slice(6));
    const stranger = await signIn(api, 'analyst');
    expect((await get(`/api/v1/webhooks/${created.id}`, stranger)).status).toBe(404);
    expect((await send('POST', `/api/v1/webhooks/${created.id}/test`, undefined, stranger)).status).toBe(404);
    expect((await get('/api/v1/webhooks', stranger)).body.data).toEqual([]);
    expect((await send('DELETE', `/api/v1/webhooks/${created.id}`)).status).toBe(204);
    expect((await get(`/api/v1/webhooks/${created.id}`)).status).toBe(404);
  });

  test.each([
    ['http://127.0.0.1:8080/hook', 'private_address'],
    ['http://169.254.169.254/latest/meta-data', 'private_address'],
    ['http://[::1]/hook', 'private_address'],
    ['http://[2002:a00:1::1]/hook', 'private_address'],
    ['http://localhost/hook', 'target_refused'],
    ['http://no-such-host.invalid/hook', 'target_refused'],
    ['http://10.0.0.7/hook', 'private_address'],
  ])(
    'When private targets are not allowed and the URL is %s, then it is a 422 (%s) naming no resolved address, and nothing is stored',
    async (url, reason) => {
      const answer = await send(
        'POST',
        '/api/v1/webhooks',
        { url, events: ['alert.fired'] },
        owner,
        strictApi.url,
      );
      expect(answer.status).toBe(422);
      expect(answer.body.reason).toBe(reason);
      // What a name resolves to is never told: that would map internal names through our resolver.
      if (reason === 'target_refused')
        expect(answer.body.detail).toBe(`url: ${new URL(url).hostname} is refused as a webhook target`);
      expect(await database.db.query(`SELECT id FROM webhook_endpoints`)).toEqual([]);
    },
  );

  test.each([
    [{ url: 'ftp://example.com/x', events: ['alert.fired'] }, 422],
    [{ url: 'http://u:p@127.0.0.1/x', events: ['alert.fired'] }, 422],
    [{ url: 'http://127.0.0.1/x', events: [] }, 400],
    [{ url: 'http://127.0.0.1/x', events: ['trade.executed'] }, 400],
    [{ url: 'http://127.0.0.1/x' }, 400],
    [{ url: 'http://127.0.0.1/x', events: ['alert.fired'], secret: 'mine' }, 400],
  ])('When the endpoint is %j, then it is a %d problem', async (body, status) => {
    expect((await send('POST', '/api/v1/webhooks', body)).status).toBe(status);
  });
});

describe('Deliveries', () => {
  test('When a test event is sent, then the receiver gets Standard Webhooks headers whose signature an independent implementation accepts', async () => {
    const hook = await endpoint('/signed');
    const scheduled = await send('POST', `/api/v1/webhooks/${hook.id}/test`);
    expect(scheduled.status).toBe(202);
    const [received] = await receiver.waitFor('/signed', 1);
    expect(received!.headers['webhook-id']).toBe(scheduled.body.id);
    expect(received!.headers['webhook-timestamp']).toMatch(/^\d{10}$/);
    expect(received!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(JSON.parse(received!.body)).toMatchObject({
      type: 'webhook.test',
      data: { endpoint_id: hook.id },
    });
    expect(pythonVerifies(hook.secret, received!)).toBe('valid');
    expect(pythonVerifies(hook.secret, { ...received!, body: `${received!.body} ` })).toBe(
      'no matching v1 signature',
    );
    const delivered = await waitForDelivery(hook.id, scheduled.body.id, 'succeeded');
    expect(delivered).toMatchObject({ attempts: 1, last_status_code: 200 });
  });

  test('When the receiver keeps failing, then every retry carries the same webhook-id, the delivery goes to the dead letter, and a redelivery succeeds', async () => {
    const hook = await endpoint('/flaky');
    receiver.answer = () => 500;
    const scheduled = await send('POST', `/api/v1/webhooks/${hook.id}/test`);
    const dead = await waitForDelivery(hook.id, scheduled.body.id, 'dead');
    expect(dead).toMatchObject({ attempts: 4, last_status_code: 500, last_error: 'HTTP 500' });
    const attempts = await receiver.waitFor('/flaky', 4);
    expect(new Set(attempts.map((entry) => entry.headers['webhook-id']))).toEqual(
      new Set([scheduled.body.id]),
    );
    expect(
      (await get(`/api/v1/webhooks/${hook.id}/deliveries?status=dead`)).body.data.map(
        (d: { id: string }) => d.id,
      ),
    ).toEqual([scheduled.body.id]);

    receiver.answer = () => 200;
    const again = await send('POST', `/api/v1/webhooks/${hook.id}/deliveries/${scheduled.body.id}/redeliver`);
    expect(again.status).toBe(202);
    expect(await waitForDelivery(hook.id, scheduled.body.id, 'succeeded')).toMatchObject({
      attempts: 1,
      round: 1,
    });
    const all = await receiver.waitFor('/flaky', 5);
    expect(all.at(-1)!.headers['webhook-id']).toBe(scheduled.body.id);
    expect((await get(`/api/v1/webhooks/${hook.id}`)).body.consecutive_failures).toBe(0);
  });

  test('When a receiver redirects, then the redirect is a failed attempt, never followed', async () => {
    const hook = await endpoint('/moved');
    receiver.answer = () => 302;
    const scheduled = await send('POST', `/api/v1/webhooks/${hook.id}/test`);
    const dead = await waitForDelivery(hook.id, scheduled.body.id, 'dead');
    expect(dead.last_error).toBe('redirects are not followed');
    expect(receiver.received.every((entry) => entry.path === '/moved')).toBe(true);
  });

  test('When the secret is rotated, then deliveries carry signatures of both secrets and each verifies', async () => {
    const hook = await endpoint('/rotated');
    const rotated = await send('POST', `/api/v1/webhooks/${hook.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(hook.secret);
    expect(rotated.body.previous_secret_until).not.toBeNull();
    await send('POST', `/api/v1/webhooks/${hook.id}/test`);
    const [received] = await receiver.waitFor('/rotated', 1);
    expect(received!.headers['webhook-signature']!.toString().split(' ')).toHaveLength(2);
    expect(pythonVerifies(rotated.body.secret, received!)).toBe('valid');
    expect(pythonVerifies(hook.secret, received!)).toBe('valid');
    expect(pythonVerifies('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', received!)).toBe(
      'no matching v1 signature',
    );
  });

  test('When a receiver answers 410 Gone, then the endpoint is disabled and the owner’s endpoint.disabled subscriber is told', async () => {
    const gone = await endpoint('/gone');
    await endpoint('/ops', ['endpoint.disabled']);
    receiver.answer = (entry) => (entry.path === '/gone' ? 410 : 200);
    const scheduled = await send('POST', `/api/v1/webhooks/${gone.id}/test`);
    await waitForDelivery(gone.id, scheduled.body.id, 'dead');
    expect((await get(`/api/v1/webhooks/${gone.id}`)).body).toMatchObject({
      status: 'disabled',
      disabled_reason: 'the receiver answered 410 Gone',
    });
    const [told] = await receiver.waitFor('/ops', 1);
    expect(JSON.parse(told!.body)).toMatchObject({
      type: 'endpoint.disabled',
      data: { endpoint_id: gone.id },
    });
    expect(receiver.received.filter((entry) => entry.path === '/gone')).toHaveLength(1);
    expect((await send('POST', `/api/v1/webhooks/${gone.id}/enable`)).body.status).toBe('enabled');
  });

  test('When deliveries keep dying, then the endpoint is disabled after the configured number in a row', async () => {
    const hook = await endpoint('/down');
    receiver.answer = () => 503;
    for (let round = 0; round < 2; round += 1) {
      const scheduled = await send('POST', `/api/v1/webhooks/${hook.id}/test`);
      await waitForDelivery(hook.id, scheduled.body.id, 'dead');
    }
    expect((await get(`/api/v1/webhooks/${hook.id}`)).body).toMatchObject({
      status: 'disabled',
      consecutive_failures: 2,
    });
  });

  test('When an event is emitted for an owner, then each enabled endpoint subscribed to it gets one delivery, others none', async () => {
    const a = await endpoint('/fan-a', ['alert.fired']);
    await endpoint('/fan-b', ['limit.breached']);
    const c = await endpoint('/fan-c', ['alert.fired', 'limit.breached']);
    const ids = await database.db.transaction((tx) =>
      api.services.webhooks.stage(tx, owner.userId, 'alert.fired', { alert_id: 'x' }),
    );
    await api.services.webhooks.schedule(ids);
    expect(ids).toHaveLength(2);
    await receiver.waitFor('/fan-a', 1);
    await receiver.waitFor('/fan-c', 1);
    expect(receiver.received.filter((entry) => entry.path === '/fan-b')).toHaveLength(0);
    expect((await get(`/api/v1/webhooks/${a.id}/deliveries`)).body.data).toHaveLength(1);
    expect((await get(`/api/v1/webhooks/${c.id}/deliveries`)).body.data[0].event_type).toBe('alert.fired');
  });

  test('When deliveries were stored with their event but their scheduling was lost (a crash), then the sweep schedules and delivers them once', async () => {
    const hook = await endpoint('/stalled');
    const ids = await database.db.transaction((tx) =>
      api.services.webhooks.stage(tx, owner.userId, 'alert.fired', { alert_id: 'a' }),
    );
    expect(ids).toHaveLength(1);
    expect(await api.services.webhooks.resumeStalled()).toBe(0); // too recent to count as lost
    await database.db.query(`UPDATE webhook_deliveries SET created_at = now() - interval '10 minutes'`);
    expect(await api.services.webhooks.resumeStalled()).toBe(1);
    const [received] = await receiver.waitFor('/stalled', 1);
    expect(received!.headers['webhook-id']).toBe(ids[0]);
    // The receiver has the request before the worker has its answer and records the attempt.
    await waitForDelivery(hook.id, ids[0]!, 'succeeded');
    expect(await api.services.webhooks.resumeStalled()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 200)); // room for a second delivery, were one sent
    expect(receiver.received.filter((entry) => entry.path === '/stalled')).toHaveLength(1);
  });

  test('When a delivery id or cursor is malformed or another endpoint’s, then it is a 400 or a 404', async () => {
    const a = await endpoint('/x');
    const b = await endpoint('/y');
    const scheduled = await send('POST', `/api/v1/webhooks/${a.id}/test`);
    await waitForDelivery(a.id, scheduled.body.id, 'succeeded');
    expect(
      (await send('POST', `/api/v1/webhooks/${b.id}/deliveries/${scheduled.body.id}/redeliver`)).status,
    ).toBe(404);
    expect((await send('POST', `/api/v1/webhooks/${a.id}/deliveries/msg_nope/redeliver`)).status).toBe(400);
    expect((await get(`/api/v1/webhooks/${a.id}/deliveries?cursor=yesterday`)).status).toBe(400);
    expect((await get(`/api/v1/webhooks/${a.id}/deliveries?status=lost`)).status).toBe(400);
  });
});
