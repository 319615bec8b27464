import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { startTestApi, type TTestApi } from '../../test/api-server.ts';
import { sendJson, signIn, type TSignedIn } from '../../test/auth.ts';
import { testConfig } from '../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../test/db.ts';
import { request } from '../../test/openapi-conformance.ts';
import { daysAgo, seedDailyPrices } from '../../test/prices.ts';

// Idempotency records live in the cache store and are bounded: no record for a dry run, a reference
// (not a copy) for an answer over IDEMPOTENCY_MAX_BODY_BYTES, and keys of bounded length.
const config = testConfig({
  RATE_LIMIT_PER_MINUTE: '100000',
  RATE_LIMIT_ROLE_QUOTAS: 'trader=100000',
  IDEMPOTENCY_MAX_BODY_BYTES: '200',
});
let database: TTestDatabase;
let api: TTestApi;
let owner: TSignedIn;

beforeAll(async () => {
  database = await createTestDatabase(config);
  await seedDailyPrices(database.db, { BTC: (index) => String(100 + index) }, 30);
  api = await startTestApi(config, database.db);
  owner = await signIn(api, 'trader');
});
afterAll(async () => {
  await api.close();
  await database.drop();
});

const records = () => api.cacheRedis.keys(`${config.REDIS_KEY_PREFIX}idem:*`);
const csv = (rows: number, price = 100) =>
  [
    'timestamp,type,symbol,quantity,price,fee,notes,external_id,lot_ids',
    ...Array.from(
      { length: rows },
      (_, index) => `${daysAgo(20 - (index % 10))}T12:00:00Z,buy,BTC,0.1,${price},0,row ${index},,`,
    ),
  ].join('\n');
const importCsv = (id: string, body: string, key: string, dryRun: boolean) =>
  request(api.url, `/api/v1/portfolios/${id}/transactions/import?dry_run=${dryRun}`, {
    method: 'POST',
    headers: { ...owner.headers, 'content-type': 'text/csv', 'Idempotency-Key': key },
    body,
  });
async function portfolio(): Promise<string> {
  const created = await sendJson(api.url, 'POST', '/api/v1/portfolios', { name: 'Main' }, owner.headers);
  expect(created.status).toBe(201);
  return created.body.id;
}

test('When a dry-run import carries an Idempotency-Key, then no record is kept and each dry run previews afresh', async () => {
  const id = await portfolio();
  const before = await records();
  const first = await importCsv(id, csv(300), 'dry-1', true);
  expect(first.status).toBe(200);
  expect(first.body.preview).toHaveLength(300); // the large answer a record would otherwise copy
  expect(await records()).toStrictEqual(before);
  // The same key with another file is another preview, not a 422 for a reused key.
  const second = await importCsv(id, csv(2, 120), 'dry-1', true);
  expect(second.status).toBe(200);
  expect(second.body.preview).toHaveLength(2);
  expect(second.headers.get('idempotent-replayed')).toBeNull();
});

test('When an answer is larger than the cap, then only a reference is kept and a retry is a 409 naming the first status and the resource', async () => {
  const key = `create-${Date.now()}`;
  const headers = { ...owner.headers, 'Idempotency-Key': key };
  const body = { name: 'A portfolio whose answer is over the 200-byte cap' };
  const created = await sendJson(api.url, 'POST', '/api/v1/portfolios', body, headers);
  expect(created.status).toBe(201);
  expect(JSON.stringify(created.body).length).toBeGreaterThan(200);
  const kept = await Promise.all((await records()).map((record) => api.cacheRedis.get(record)));
  const reference = kept.map((value) => JSON.parse(value!)).find((value) => value.ref === created.body.id);
  expect(reference).toBeTruthy();
  expect(reference.body).toBeUndefined();
  expect(reference.status).toBe(201);
  const retry = await sendJson(api.url, 'POST', '/api/v1/portfolios', body, headers);
  expect(retry.status).toBe(409);
  expect(retry.body).toMatchObject({
    reason: 'idempotent_answer_not_kept',
    original_status: 201,
    resource_id: created.body.id,
  });
  const list = await request(api.url, '/api/v1/portfolios', { headers: owner.headers });
  expect(list.body.data.filter((row: { name: string }) => row.name === body.name)).toHaveLength(1);
});

test('When an answer is within the cap, then a retry replays it', async () => {
  const id = await portfolio();
  const first = await importCsv(id, csv(1), 'real-1', false);
  expect(first.status).toBe(200);
  const again = await importCsv(id, csv(1), 'real-1', false);
  expect(again.status).toBe(200);
  expect(again.headers.get('idempotent-replayed')).toBe('true');
  expect(again.body).toStrictEqual(first.body);
});

test('When the Idempotency-Key is empty, longer than 255 characters or not visible ASCII, then a 400 names the header and nothing is kept', async () => {
  const before = await records();
  for (const key of ['', 'x'.repeat(256), 'with space', 'é']) {
    const response = await sendJson(
      api.url,
      'POST',
      '/api/v1/portfolios',
      { name: 'K' },
      {
        ...owner.headers,
        'Idempotency-Key': key,
      },
    );
    expect(response.status).toBe(400);
    expect(response.body.errors[0].name).toBe('Idempotency-Key');
  }
  expect(await records()).toStrictEqual(before);
  // The longest allowed key is stored under a fixed-length Redis key (a hash of it).
  const longest = await sendJson(
    api.url,
    'POST',
    '/api/v1/portfolios',
    { name: 'L' },
    {
      ...owner.headers,
      'Idempotency-Key': 'k'.repeat(255),
    },
  );
  expect(longest.status).toBe(201);
  for (const record of await records()) expect(record.length).toBeLessThan(200);
});
