import { afterAll, beforeAll, beforeEach, expect, test } from '@jest/globals';
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
  for (const queue of Object.values(api.queues.queues)) await queue.obliterate({ force: true });
});

const trigger = (headers: Record<string, string>, limit = 10) =>
  sendJson(api.url, 'POST', `/api/v1/cryptocurrencies/sync?limit=${limit}`, undefined, headers);
const status = (jobId: string, headers: Record<string, string>) =>
  request(api.url, `/api/v1/jobs/${encodeURIComponent(jobId)}`, { headers });

test('When a service user triggers a sync, then they and admins can follow it, another service user gets 404 and anonymous 401', async () => {
  const owner = await signIn(api, 'service');
  const stranger = await signIn(api, 'service');
  const admin = await signIn(api, 'admin');
  const accepted = await trigger(owner.headers);
  expect(accepted.status).toBe(202);
  const jobId: string = accepted.body.job_id;
  expect((await status(jobId, owner.headers)).status).toBe(200);
  expect((await status(jobId, admin.headers)).status).toBe(200);
  const hidden = await status(jobId, stranger.headers);
  const missing = await status('sync-markets-default-10-1', stranger.headers);
  expect(hidden.status).toBe(404);
  expect(missing.status).toBe(404);
  expect(hidden.body.title).toBe(missing.body.title);
  expect((await status(jobId, {})).status).toBe(401);
  const [event] = await database.db.query(`SELECT * FROM audit_events WHERE action = 'job.trigger'`);
  expect(event).toMatchObject({ actor_user_id: owner.userId, target_id: jobId, outcome: 'success' });
});

test('When a sync is triggered, then it starts a flow (sync, compute-risk, evaluate-alerts) whose steps its requester can follow', async () => {
  const owner = await signIn(api, 'service');
  const stranger = await signIn(api, 'service');
  const accepted = await trigger(owner.headers);
  expect(accepted.body.flow_id).toBe(`evaluate-alerts-after-${accepted.body.job_id}`);
  const sync = await status(accepted.body.job_id, owner.headers);
  expect(sync.body.flow).toEqual([
    { name: 'sync-markets', id: accepted.body.job_id, state: 'waiting' },
    { name: 'compute-risk', id: `compute-risk-after-${accepted.body.job_id}`, state: 'waiting-children' },
    { name: 'evaluate-alerts', id: accepted.body.flow_id, state: 'waiting-children' },
  ]);
  const last = await status(accepted.body.flow_id, owner.headers);
  expect(last.status).toBe(200);
  expect(last.body).toMatchObject({
    name: 'evaluate-alerts',
    state: 'waiting-children',
    flow: sync.body.flow,
  });
  expect((await status(accepted.body.flow_id, stranger.headers)).status).toBe(404);
});

test('When a second user triggers the same sync in the same window, then it is the same job and both may follow it', async () => {
  const first = await signIn(api, 'service');
  const second = await signIn(api, 'service');
  const a = await trigger(first.headers);
  const b = await trigger(second.headers);
  expect(b.body.job_id).toBe(a.body.job_id);
  expect(b.body.deduplicated).toBe(true);
  expect((await status(a.body.job_id, second.headers)).status).toBe(200);
});

test('When an API key triggers a sync, then its owner can follow the job with a session', async () => {
  const owner = await signIn(api, 'service');
  const key = await createApiKey(api.url, owner, ['jobs:trigger']);
  const accepted = await trigger({ 'X-API-Key': key.key }, 20);
  expect(accepted.status).toBe(202);
  expect((await status(accepted.body.job_id, owner.headers)).status).toBe(200);
  // The key itself may trigger but not read: jobs:read is not among its scopes.
  expect((await status(accepted.body.job_id, { 'X-API-Key': key.key })).status).toBe(403);
});

test('When traders or analysts trigger a sync, then it is a 403 (only service accounts and admins may)', async () => {
  for (const role of ['trader', 'analyst'] as const) {
    const user = await signIn(api, role);
    expect((await trigger(user.headers)).status).toBe(403);
  }
});
