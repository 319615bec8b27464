import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { startTestApi, type TTestApi } from '../../../test/api-server.ts';
import { sendJson, signIn, type TSignedIn } from '../../../test/auth.ts';
import { testConfig } from '../../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../../test/db.ts';
import { request } from '../../../test/openapi-conformance.ts';
import { startProviderServer, type TProviderServer } from '../../../test/provider-server.ts';
import { startTestWorkers, waitForJob, type TTestWorkers } from '../../../test/worker-harness.ts';

const MARKETS = '/api/v3/coins/markets';
let database: TTestDatabase;
let api: TTestApi;
let workers: TTestWorkers;
let provider: TProviderServer;
let admin: TSignedIn;
let receiver: Server;
let receiverStatus = 200;
beforeAll(async () => {
  provider = await startProviderServer();
  const config = testConfig({
    MARKET_DATA_PROVIDER: 'coingecko',
    COINGECKO_BASE_URL: provider.coingeckoUrl,
    PROVIDER_MAX_RETRIES: '0',
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    WEBHOOK_RETRY_SCHEDULE: '50ms',
    RATE_LIMIT_ROLE_QUOTAS: 'admin=100000,trader=100000',
  });
  database = await createTestDatabase(config);
  api = await startTestApi(config, database.db);
  workers = await startTestWorkers(config, database.db);
  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(receiverStatus).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
  await workers.close();
  await api.close();
  await database.drop();
  await provider.close();
});
beforeEach(async () => {
  await database.truncate();
  provider.reset();
  receiverStatus = 200;
  for (const queue of [...Object.values(workers.queues.queues), workers.queues.deadLetter])
    await queue.obliterate({ force: true });
  admin = await signIn(api, 'admin');
});

const get = (path: string, who: TSignedIn = admin) => request(api.url, path, { headers: who.headers });
const post = (path: string, who: TSignedIn = admin) =>
  sendJson(api.url, 'POST', path, undefined, who.headers);
/** A sync with one attempt whose provider answers 500: it fails for good at once. */
async function failingSync(id: string) {
  provider.script(MARKETS, { status: 500, body: { error: 'down' } });
  await workers.queues
    .get('sync-markets')
    .add('sync-markets', { limit: 3, as_of: new Date().toISOString() }, { jobId: id, attempts: 1 });
  const { state } = await waitForJob(workers.queues, id);
  expect(state).toBe('failed');
}
async function deadLetters(count: number): Promise<{ id: string; source: string; [key: string]: unknown }[]> {
  for (let tries = 0; tries < 200; tries += 1) {
    const answer = await get('/api/v1/admin/dead-letter');
    if (answer.body.data.length >= count) return answer.body.data;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`fewer than ${count} dead letters`);
}
const audited = async (action: string) =>
  (await database.db.query(`SELECT target_id FROM audit_events WHERE action = $1`, [action])).map(
    (row: { target_id: string }) => row.target_id,
  );

describe('Dead-letter queue', () => {
  test('When a job fails its last attempt, then it is a dead letter, and a replay runs it again as a new job that completes', async () => {
    await failingSync('sync-markets-admin-1');
    const [letter] = await deadLetters(1);
    expect(letter).toMatchObject({
      id: 'dead-sync-markets-admin-1',
      source: 'job',
      queue: 'sync-markets',
      job_id: 'sync-markets-admin-1',
      attempts: 1,
      data: { limit: 3 },
    });
    expect(letter!.failed_reason).toContain('coingecko');

    const replay = await post(`/api/v1/admin/dead-letter/${letter!.id}/replay`);
    expect(replay.status).toBe(202);
    expect(replay.body.replayed).toMatch(/^sync-markets-replay-\d+-sync-markets-admin-1$/);
    const { state, job } = await waitForJob(workers.queues, replay.body.replayed);
    expect(state).toBe('completed');
    expect(job.returnvalue.coins_upserted).toBe(3);
    expect((await get('/api/v1/admin/dead-letter')).body.data).toEqual([]);
    expect(await audited('dead_letter.replay')).toEqual([letter!.id]);
    expect((await post(`/api/v1/admin/dead-letter/${letter!.id}/replay`)).status).toBe(404);
  });

  test('When a webhook delivery dies, then it is a dead letter, and a replay delivers it', async () => {
    const trader = await signIn(api, 'trader');
    const port = (receiver.address() as AddressInfo).port;
    const endpoint = await sendJson(
      api.url,
      'POST',
      '/api/v1/webhooks',
      { url: `http://127.0.0.1:${port}/x`, events: ['alert.fired'] },
      trader.headers,
    );
    receiverStatus = 500;
    const delivery = await post(`/api/v1/webhooks/${endpoint.body.id}/test`, trader);
    const [letter] = await deadLetters(1);
    expect(letter).toMatchObject({
      source: 'webhook',
      delivery_id: delivery.body.id,
      event_type: 'webhook.test',
      attempts: 2,
      round: 0,
    });

    receiverStatus = 200;
    expect((await post(`/api/v1/admin/dead-letter/${letter!.id}/replay`)).body.replayed).toBe(
      delivery.body.id,
    );
    for (let tries = 0; tries < 200; tries += 1) {
      const [row] = await database.db.query(`SELECT status, round FROM webhook_deliveries WHERE id = $1`, [
        delivery.body.id,
      ]);
      if (row.status === 'succeeded') return expect(row.round).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('the replayed delivery never succeeded');
  });
});

describe('Admin job API', () => {
  test('When a failed job is retried, then it runs again and completes; a job in another state is a 409', async () => {
    await failingSync('sync-markets-admin-2');
    const retried = await post('/api/v1/admin/jobs/sync-markets-admin-2/retry');
    expect(retried.status).toBe(200);
    const { state } = await waitForJob(workers.queues, 'sync-markets-admin-2');
    expect(state).toBe('completed');
    expect((await post('/api/v1/admin/jobs/sync-markets-admin-2/retry')).status).toBe(409);
    expect(await audited('job.retry')).toEqual(['sync-markets-admin-2']);
  });

  test('When a delayed job is promoted, then it runs now; removing a finished job makes it unknown', async () => {
    await workers.queues
      .get('compute-risk')
      .add(
        'compute-risk',
        { top: 1, as_of: new Date().toISOString() },
        { jobId: 'compute-risk-admin-1', delay: 3_600_000 },
      );
    expect((await get('/api/v1/jobs/compute-risk-admin-1')).body.state).toBe('delayed');
    expect((await post('/api/v1/admin/jobs/compute-risk-admin-1/promote')).status).toBe(200);
    expect((await waitForJob(workers.queues, 'compute-risk-admin-1')).state).toBe('completed');
    expect((await post('/api/v1/admin/jobs/compute-risk-admin-1/promote')).status).toBe(409);
    const removed = await sendJson(
      api.url,
      'DELETE',
      '/api/v1/admin/jobs/compute-risk-admin-1',
      undefined,
      admin.headers,
    );
    expect(removed.status).toBe(204);
    expect((await get('/api/v1/jobs/compute-risk-admin-1')).status).toBe(404);
    expect(await audited('job.promote')).toEqual(['compute-risk-admin-1']);
    expect(await audited('job.remove')).toEqual(['compute-risk-admin-1']);
  });

  test('When jobs are listed by queue and state, then pages follow each other without gaps or repeats', async () => {
    for (let index = 0; index < 5; index += 1)
      await workers.queues
        .get('compute-risk')
        .add('compute-risk', { top: 1 }, { jobId: `compute-risk-list-${index}`, delay: 3_600_000 });
    const seen: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page = await get(
        `/api/v1/admin/jobs?queue=compute-risk&state=delayed&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((job: { id: string }) => job.id));
      cursor = page.body.pagination.next_cursor;
    }
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4].map((index) => `compute-risk-list-${index}`));
    expect((await get('/api/v1/admin/jobs?name=compute-risk&state=completed')).body.data).toEqual([]);
    expect((await get('/api/v1/admin/jobs?queue=compute-risk&name=sync-markets')).status).toBe(422);
    expect((await get('/api/v1/admin/jobs?queue=nope')).status).toBe(400);
    expect((await get('/api/v1/admin/jobs?cursor=abc')).status).toBe(400);
  });

  test('When someone without jobs:admin calls the admin job API, then it is a 403 and nothing changes', async () => {
    const service = await signIn(api, 'service');
    await failingSync('sync-markets-admin-3');
    expect((await get('/api/v1/admin/jobs', service)).status).toBe(403);
    expect((await post('/api/v1/admin/jobs/sync-markets-admin-3/retry', service)).status).toBe(403);
    expect((await get('/api/v1/admin/dead-letter', service)).status).toBe(403);
    expect((await get('/api/v1/jobs/sync-markets-admin-3')).body.state).toBe('failed');
  });
});
