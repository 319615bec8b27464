import http from 'node:http';
import { afterAll, beforeAll, beforeEach, expect, test } from '@jest/globals';
import { invalidateMarketCache, seedBundledData } from '../../core/market/index.ts';
import { counterValue, startTestApi, type TTestApi } from '../../test/api-server.ts';
import { testConfig } from '../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../test/db.ts';
import { awayFromWindowEnd } from '../../test/rate-window.ts';

// A budget large enough that the limiter leases requests ahead (a lease is what a replay spends).
const config = testConfig({
  RATE_LIMIT_PER_MINUTE: '6400',
  CORS_ORIGINS: 'https://app.example',
});
let database: TTestDatabase;
let api: TTestApi;
const logLines: string[] = [];
const LISTING = '/api/v1/cryptocurrencies/?limit=3';

beforeAll(async () => {
  database = await createTestDatabase(config);
  await seedBundledData(database.db, { symbols: ['BTC', 'ETH', 'DOGE'], history: 'month' });
  api = await startTestApi(config, database.db, { logLines });
});
afterAll(async () => {
  await api.close();
  await database.drop();
});
beforeEach(async () => {
  await invalidateMarketCache(api.cacheRedis, config.REDIS_KEY_PREFIX);
});

const replays = () => counterValue([api.metrics], 'http_cache_replays_total');

/** Every header but those each answer computes for itself. */
function stableHeaders(response: Response): Record<string, string> {
  const own = ['x-request-id', 'date', 'ratelimit-remaining', 'ratelimit-reset', 'keep-alive', 'connection'];
  return Object.fromEntries([...response.headers].filter(([name]) => !own.includes(name)));
}

async function get(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${api.url}${path}`, { headers });
  return { response, body: Buffer.from(await response.arrayBuffer()) };
}

test('When a shared answer was given once, then identical requests are replayed with the same status, headers and bytes', async () => {
  const variants: Record<string, string>[] = [
    {},
    { 'accept-encoding': 'br, gzip' },
    { 'accept-encoding': 'gzip' },
    { origin: 'https://app.example' },
  ];
  // A replay spends the lease its chain request took, and a lease ends with its rate-limit window.
  await awayFromWindowEnd();
  for (const [index, headers] of variants.entries()) {
    // A URL of its own per variant, so that its first answer is the chain's (a MISS that fills the cache).
    const url = `/api/v1/cryptocurrencies/?limit=${index + 2}`;
    const chain = await get(url, headers);
    const before = await replays();
    const replayed = await get(url, headers);
    expect(await replays()).toBe(before + 1);
    expect(chain.response.headers.get('x-cache')).toBe('MISS');
    expect(replayed.response.status).toBe(200);
    expect(stableHeaders(replayed.response)).toStrictEqual({
      ...stableHeaders(chain.response),
      'x-cache': 'HIT',
    });
    expect(replayed.body.equals(chain.body)).toBe(true);
  }
});

test('When requests are replayed, then each still spends one request of the budget, counted with the others', async () => {
  const counts: number[] = [];
  for (let index = 0; index < 12; index += 1) {
    const { response } = await get(LISTING);
    counts.push(Number(response.headers.get('ratelimit-remaining')));
  }
  // Remaining falls by one per request, whether the chain or a replay answered it (no window turned over).
  const steps = counts.slice(1).map((count, index) => counts[index]! - count);
  expect(steps.every((step) => step === 1) || steps.some((step) => step < 0)).toBe(true);
  expect(await replays()).toBeGreaterThan(0);
});

test('When the client holds the answer (If-None-Match), then the replay is a 304 like the chain would give', async () => {
  await awayFromWindowEnd();
  const first = await get(LISTING);
  const etag = first.response.headers.get('etag')!;
  const before = await replays();
  const again = await get(LISTING, { 'if-none-match': etag });
  expect(await replays()).toBe(before + 1);
  expect(again.response.status).toBe(304);
  expect(again.body.length).toBe(0);
  expect(again.response.headers.get('etag')).toBe(etag);
});

test('When market data changes and the version is bumped, then the next request is not a replay of the old answer', async () => {
  await get(LISTING);
  const old = JSON.parse((await get(LISTING)).body.toString()) as {
    data: { symbol: string; current_price: number }[];
  };
  await database.db.query(`UPDATE cryptocurrencies SET current_price = 4321.5 WHERE symbol = 'BTC'`);
  await invalidateMarketCache(api.cacheRedis, config.REDIS_KEY_PREFIX);
  const fresh = JSON.parse((await get(LISTING)).body.toString()) as typeof old;
  expect(old.data.find((coin) => coin.symbol === 'BTC')!.current_price).not.toBe(4321.5);
  expect(fresh.data.find((coin) => coin.symbol === 'BTC')!.current_price).toBe(4321.5);
});

test('When a request carries credentials or a body, then it goes through the whole chain (and bad credentials are a 401)', async () => {
  await get(LISTING);
  const before = await replays();
  const withBadKey = await get(LISTING, { 'x-api-key': 'tbk_not-a-key' });
  const withBadToken = await get(LISTING, { authorization: 'Bearer nope' });
  expect(withBadKey.response.status).toBe(401);
  expect(withBadToken.response.status).toBe(401);
  expect(await replays()).toBe(before);
  const withBody = await new Promise<number>((resolve, reject) =>
    http
      .request(
        `${api.url}${LISTING}`,
        { method: 'GET', headers: { 'content-type': 'application/json', 'content-length': '2' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      )
      .on('error', reject)
      .end('{}'),
  );
  expect(withBody).toBe(200);
  expect(await replays()).toBe(before);
});

test('When a replay is served, then it writes one access log line with its request id and is counted in the request metrics', async () => {
  await awayFromWindowEnd();
  await get(LISTING);
  const requestsBefore = await counterValue([api.metrics], 'http_requests_total', {
    route: '/api/v1/cryptocurrencies/',
    status: '200',
  });
  const before = await replays();
  const id = `replay-${Date.now()}`;
  expect((await get(LISTING, { 'x-request-id': id })).response.headers.get('x-request-id')).toBe(id);
  expect(await replays()).toBe(before + 1);
  expect(
    await counterValue([api.metrics], 'http_requests_total', {
      route: '/api/v1/cryptocurrencies/',
      status: '200',
    }),
  ).toBe(requestsBefore + 1);
  const lines = logLines.map((text) => JSON.parse(text) as Record<string, unknown>);
  expect(lines.filter((entry) => entry.requestId === id)).toStrictEqual([
    expect.objectContaining({
      msg: 'request completed',
      status: 200,
      cache: 'HIT',
      method: 'GET',
      url: LISTING,
    }),
  ]);
});
