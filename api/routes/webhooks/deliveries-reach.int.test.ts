import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { TConfig } from '../../../core/platform/config/env.ts';
import { startTestApi, type TTestApi } from '../../../test/api-server.ts';
import { sendJson, signIn } from '../../../test/auth.ts';
import { testConfig } from '../../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../../test/db.ts';
import { startDnsServer, type TDnsServer } from '../../../test/dns-server.ts';
import { createTestCa } from '../../../test/tls-ca.ts';
import { WebhookReceiver } from '../../../test/webhook-receiver.ts';
import { startTestWorkers, type TTestWorkers } from '../../../test/worker-harness.ts';

/**
 * Deliveries through the real API and the real deliver-webhook worker to receivers named the way
 * production names them: host names (resolved by the system resolver, or by DNS servers a test runs),
 * IPv6 literals, and https with a certificate from a private CA the worker is told to trust.
 */
type TSetup = { config: TConfig; api: TTestApi; workers: TTestWorkers };

let database: TTestDatabase;
let scratch: string;
let dns: TDnsServer;
/** System resolver, private targets allowed, the test CA trusted. */
let system: TSetup;
/** Resolution through the test's DNS server, private targets allowed. */
let viaDns: TSetup;
/** Resolution through the test's DNS server, private targets refused (production's setting). */
let strict: TSetup;
const receivers = {
  plain: new WebhookReceiver(),
  ipv6: new WebhookReceiver({ host: '::1' }),
  secure: new WebhookReceiver(),
};

async function setUp(overrides: Record<string, string>): Promise<TSetup> {
  const config = testConfig({
    WEBHOOK_RETRY_SCHEDULE: '100ms',
    WEBHOOK_TIMEOUT_MS: '1000',
    WEBHOOK_DEADLINE_MS: '2000',
    WORKER_QUEUES: 'deliver-webhook',
    ...overrides,
  });
  database ??= await createTestDatabase(config);
  return {
    config,
    api: await startTestApi(config, database.db),
    workers: await startTestWorkers(config, database.db),
  };
}

beforeAll(async () => {
  const ca = await createTestCa();
  receivers.secure = new WebhookReceiver({ tls: await ca.issue({ dns: ['localhost'] }) });
  await Promise.all(Object.values(receivers).map((receiver) => receiver.start()));
  scratch = mkdtempSync(path.join(tmpdir(), 'webhook-ca-'));
  writeFileSync(path.join(scratch, 'private-ca.pem'), ca.caPem);
  dns = await startDnsServer();
  system = await setUp({
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    WEBHOOK_CA_FILE: path.join(scratch, 'private-ca.pem'),
  });
  viaDns = await setUp({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_DNS_SERVERS: dns.address });
  strict = await setUp({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false', WEBHOOK_DNS_SERVERS: dns.address });
});
afterAll(async () => {
  for (const setup of [system, viaDns, strict]) {
    await setup?.workers.close();
    await setup?.api.close();
  }
  await Promise.all(Object.values(receivers).map((receiver) => receiver.close()));
  await dns?.close();
  await database?.drop();
  rmSync(scratch, { recursive: true, force: true });
});

/** Registers `url` for a new trader of `setup` and sends it a test event; the delivery's id and the endpoint's. */
async function sendTestEvent(setup: TSetup, url: string) {
  const owner = await signIn(setup.api, 'trader');
  const created = await sendJson(
    setup.api.url,
    'POST',
    '/api/v1/webhooks',
    { url, events: ['alert.fired'] },
    owner.headers,
  );
  expect(created.status).toBe(201);
  const sent = await sendJson(
    setup.api.url,
    'POST',
    `/api/v1/webhooks/${created.body.id}/test`,
    undefined,
    owner.headers,
  );
  expect(sent.status).toBe(202);
  return { deliveryId: sent.body.id as string, secret: created.body.secret as string };
}

/** The delivery's row once its status is one of `statuses`. */
async function settled(deliveryId: string, statuses: string[], timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let row: Record<string, unknown> | undefined;
  while (Date.now() < deadline) {
    [row] = await database.db.query(
      `SELECT status, attempts, last_status_code, last_error FROM webhook_deliveries WHERE id = $1`,
      [deliveryId],
    );
    if (row && statuses.includes(row.status as string)) return row;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`delivery ${deliveryId} is not ${statuses.join('/')}: ${JSON.stringify(row)}`);
}

describe('Deliveries to named and IPv6 receivers', () => {
  test('When the receiver is named localhost (the system resolver), then the worker delivers to it', async () => {
    const { deliveryId } = await sendTestEvent(system, `http://localhost:${receivers.plain.port}/named`);
    const [received] = await receivers.plain.waitFor('/named');
    expect(received!.host).toBe(`localhost:${receivers.plain.port}`);
    expect(received!.headers['webhook-id']).toBe(deliveryId);
    expect(await settled(deliveryId, ['succeeded'])).toMatchObject({ attempts: 1, last_status_code: 200 });
  });

  test('When the receiver is an IPv6 literal ([::1]), then the worker delivers to it', async () => {
    const { deliveryId } = await sendTestEvent(system, `http://[::1]:${receivers.ipv6.port}/six`);
    await receivers.ipv6.waitFor('/six');
    expect(await settled(deliveryId, ['succeeded'])).toMatchObject({ attempts: 1, last_status_code: 200 });
  });

  test('When an https receiver has a certificate from the private CA in WEBHOOK_CA_FILE, then the worker trusts it', async () => {
    const { deliveryId } = await sendTestEvent(system, `https://localhost:${receivers.secure.port}/secure`);
    const [received] = await receivers.secure.waitFor('/secure');
    expect(JSON.parse(received!.body)).toMatchObject({ type: 'webhook.test' });
    expect(await settled(deliveryId, ['succeeded'])).toMatchObject({ last_status_code: 200 });
  });

  test('When a name has several addresses and the first refuses, then the worker delivers through the next', async () => {
    dns.records.set('multi.test', ['127.0.0.2', '127.0.0.1']);
    const { deliveryId } = await sendTestEvent(viaDns, `http://multi.test:${receivers.plain.port}/multi`);
    const [received] = await receivers.plain.waitFor('/multi');
    expect(received!.host).toBe(`multi.test:${receivers.plain.port}`);
    expect(await settled(deliveryId, ['succeeded'])).toMatchObject({ attempts: 1 });
  });
});

describe('Deliveries that must not go out, or not for long', () => {
  test('When a name resolved to a public address at registration resolves to a private one at delivery, then the worker refuses it', async () => {
    dns.records.set('rebind.test', ['93.184.215.14']);
    const url = `http://rebind.test:${receivers.plain.port}/rebind`;
    const owner = await signIn(strict.api, 'trader');
    const created = await sendJson(
      strict.api.url,
      'POST',
      '/api/v1/webhooks',
      { url, events: ['alert.fired'] },
      owner.headers,
    );
    expect(created.status).toBe(201);
    dns.records.set('rebind.test', ['127.0.0.1']);
    const sent = await sendJson(
      strict.api.url,
      'POST',
      `/api/v1/webhooks/${created.body.id}/test`,
      undefined,
      owner.headers,
    );
    expect(await settled(sent.body.id, ['dead'])).toMatchObject({
      attempts: 2,
      last_status_code: null,
      last_error: 'rebind.test is refused as a webhook target',
    });
    expect(receivers.plain.received.filter((entry) => entry.path === '/rebind')).toEqual([]);
  });

  test('When the receiver trickles a byte every 200 ms, then each attempt ends at WEBHOOK_DEADLINE_MS and the delivery dies', async () => {
    const { deliveryId } = await sendTestEvent(system, `http://127.0.0.1:${receivers.plain.port}/trickle`);
    // Two attempts of at most 2 s each and a 100 ms retry: well inside the bound unless an attempt never ends.
    expect(await settled(deliveryId, ['dead'], 20_000)).toMatchObject({
      attempts: 2,
      last_error: 'no complete answer within the deadline of 2000 ms',
    });
  });
});
