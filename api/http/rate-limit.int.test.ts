import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { withContext } from '../../test/expect-context.ts';
import { counterValue, startTestApi, type TTestApi } from '../../test/api-server.ts';
import { testConfig } from '../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../test/db.ts';
import { request } from '../../test/openapi-conformance.ts';
import { createApiKey, signIn } from '../../test/auth.ts';
import { awayFromWindowEnd } from '../../test/rate-window.ts';

let database: TTestDatabase;
const apis: TTestApi[] = [];

beforeAll(async () => {
  database = await createTestDatabase(testConfig());
});
afterAll(async () => {
  for (const api of apis) await api.close();
  await database.drop();
});

async function start(overrides: Record<string, string>, prefix?: string): Promise<TTestApi> {
  const config = testConfig({ ...overrides, ...(prefix ? { REDIS_KEY_PREFIX: prefix } : {}) });
  const api = await startTestApi(config, database.db);
  apis.push(api);
  return api;
}

test('When two replicas share Redis, then they share one budget and the next request gets 429 with Retry-After', async () => {
  const prefix = `test:rl-shared-${Date.now()}:`;
  const a = await start({ RATE_LIMIT_PER_MINUTE: '5' }, prefix);
  const b = await start({ RATE_LIMIT_PER_MINUTE: '5' }, prefix);
  await awayFromWindowEnd();
  const remaining: string[] = [];
  for (const api of [a, b, a, b, a]) {
    const response = await request(api.url, '/api/v1/cryptocurrencies/');
    expect(response.status).toBe(200);
    expect(response.headers.get('ratelimit-limit')).toBe('5');
    remaining.push(response.headers.get('ratelimit-remaining')!);
    expect(Number(response.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
  }
  expect(remaining).toStrictEqual(['4', '3', '2', '1', '0']);
  const limited = await request(b.url, '/api/v1/cryptocurrencies/');
  expect(limited.status).toBe(429);
  expect(limited.headers.get('content-type')!).toMatch(/application\/problem\+json/);
  expect(limited.body.type).toBe('urn:trading-backend:problem:rate_limited');
  const retryAfter = Number(limited.headers.get('retry-after'));
  withContext(`Retry-After ${retryAfter}`, () => expect(retryAfter >= 1 && retryAfter <= 60).toBeTruthy());
  expect(limited.headers.get('ratelimit-remaining')).toBe('0');
  expect(await counterValue([b.metrics], 'http_rate_limit_rejections_total', { policy: 'default' })).toBe(1);
});

test('When probes and metrics are scraped, then they are not rate limited', async () => {
  const api = await start({ RATE_LIMIT_PER_MINUTE: '1' });
  for (let i = 0; i < 3; i += 1) {
    expect((await fetch(`${api.url}/livez`)).status).toBe(200);
    expect((await fetch(`${api.url}/metrics`)).status).toBe(200);
  }
});

test('When clients come from different IPs behind a trusted proxy, then each IP has its own budget', async () => {
  const api = await start({ RATE_LIMIT_PER_MINUTE: '1', TRUST_PROXY: 'true' });
  await awayFromWindowEnd();
  const from = (ip: string) =>
    fetch(`${api.url}/api/v1/cryptocurrencies/`, { headers: { 'X-Forwarded-For': ip } });
  expect((await from('203.0.113.1')).status).toBe(200);
  expect((await from('203.0.113.2')).status).toBe(200);
  expect((await from('203.0.113.1')).status).toBe(429);
});

test('When Redis is unreachable, then the limiter keeps counting in process memory', async () => {
  const api = await start({ RATE_LIMIT_PER_MINUTE: '2', CACHE_REDIS_URL: 'redis://127.0.0.1:1' });
  await awayFromWindowEnd();
  const statuses: number[] = [];
  for (let i = 0; i < 3; i += 1) {
    const response = await request(api.url, '/api/v1/cryptocurrencies/');
    statuses.push(response.status);
    expect(response.headers.get('ratelimit-limit')).toBe('2');
  }
  expect(statuses).toStrictEqual([200, 200, 429]);
  expect(await counterValue([api.metrics], 'http_rate_limit_fallback_total')).toBeGreaterThanOrEqual(3);
});

test('When callers are signed in, then each user has the quota of their role, shared by their session and keys, apart from the IP budget', async () => {
  const api = await start({ RATE_LIMIT_PER_MINUTE: '2', RATE_LIMIT_ROLE_QUOTAS: 'trader=3,analyst=5' });
  // Credentials made on another replica (its own budgets): logins there do not spend this one's.
  const issuer = await start({});
  const trader = await signIn(issuer, 'trader');
  const other = await signIn(issuer, 'trader');
  const analyst = await signIn(issuer, 'analyst');
  const key = await createApiKey(issuer.url, trader, ['market:read']);
  const get = (headers: Record<string, string> = {}) =>
    request(api.url, '/api/v1/cryptocurrencies/', { headers });
  await awayFromWindowEnd();
  expect((await get()).headers.get('ratelimit-limit')).toBe('2');
  expect((await get(trader.headers)).headers.get('ratelimit-limit')).toBe('3');
  expect((await get(analyst.headers)).headers.get('ratelimit-limit')).toBe('5');
  // The trader's budget: one request above, one with the session, one with the key, then 429 for both.
  expect((await get(trader.headers)).status).toBe(200);
  expect((await get({ 'X-API-Key': key.key })).status).toBe(200);
  expect((await get({ 'X-API-Key': key.key })).status).toBe(429);
  expect((await get(trader.headers)).status).toBe(429);
  // Another trader from the same address, and anonymous callers, are not held back by it.
  expect((await get(other.headers)).status).toBe(200);
  expect((await get()).status).toBe(200);
  expect((await get()).status).toBe(429);
});

test('When an import is sent, then it spends 1 plus 1 per started 256 KiB of its body; without a Content-Length, the whole budget', async () => {
  const api = await start({ RATE_LIMIT_PER_MINUTE: '2', RATE_LIMIT_ROLE_QUOTAS: 'trader=40' });
  const issuer = await start({});
  const trader = await signIn(issuer, 'trader');
  await awayFromWindowEnd();
  const created = await request(api.url, '/api/v1/portfolios', {
    method: 'POST',
    headers: { ...trader.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Imports' }),
  });
  expect(created.status).toBe(201);
  const remaining = Number(created.headers.get('ratelimit-remaining'));
  // A header and rows padded past 600 KiB: three started blocks of 256 KiB, plus 1.
  const csv = `timestamp,type,symbol,quantity,price,fee,notes,external_id,lot_ids\n${'#'.repeat(600 * 1024)}\n`;
  const sized = await request(
    api.url,
    `/api/v1/portfolios/${created.body.id}/transactions/import?dry_run=true`,
    {
      method: 'POST',
      headers: { ...trader.headers, 'content-type': 'text/csv' },
      body: csv,
    },
  );
  expect(sized.status).toBeLessThan(500); // the file is refused as CSV or previewed: either way it was paid for
  expect(Number(sized.headers.get('ratelimit-remaining'))).toBe(remaining - 4);
  // A streamed body (no Content-Length) is priced at the whole budget.
  const streamed = await fetch(
    `${api.url}/api/v1/portfolios/${created.body.id}/transactions/import?dry_run=true`,
    {
      method: 'POST',
      headers: { ...trader.headers, 'content-type': 'text/csv' },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('timestamp,type,symbol,quantity,price\n'));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit,
  );
  expect(streamed.status).toBe(429);
  expect(((await streamed.json()) as { detail: string }).detail).toMatch(/this request costs 40/);
});
