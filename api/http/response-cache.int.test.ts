import { afterAll, beforeAll, beforeEach, expect, test } from '@jest/globals';
import { invalidateMarketCache, seedBundledData } from '../../core/market/index.ts';
import { dataVersionKey } from '../../core/platform/cache/versions.ts';
import { counterValue, startTestApi, type TTestApi } from '../../test/api-server.ts';
import { testConfig } from '../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../test/db.ts';
import { request } from '../../test/openapi-conformance.ts';

const config = testConfig({ RATE_LIMIT_PER_MINUTE: '100000', CACHE_TTL_SECONDS: '60' });
let database: TTestDatabase;
let first: TTestApi;
let second: TTestApi;

beforeAll(async () => {
  database = await createTestDatabase(config);
  await seedBundledData(database.db, { symbols: ['BTC', 'ETH', 'DOGE'], history: 'month' });
  // Two replicas sharing one Redis and one PostgreSQL, like two API pods.
  first = await startTestApi(config, database.db);
  second = await startTestApi(config, database.db);
});
afterAll(async () => {
  await first.close();
  await second.close();
  await database.drop();
});
beforeEach(async () => {
  await invalidateMarketCache(first.cacheRedis, config.REDIS_KEY_PREFIX);
});

test('When the same listing is requested twice, then the second answer is a cache HIT with the same body and ETag', async () => {
  const miss = await request(first.url, '/api/v1/cryptocurrencies/?limit=2');
  const hit = await request(second.url, '/api/v1/cryptocurrencies/?limit=2');
  expect(miss.headers.get('x-cache')).toBe('MISS');
  expect(hit.headers.get('x-cache')).toBe('HIT'); // the second replica reads the shared Redis entry
  expect(hit.body).toStrictEqual(miss.body);
  expect(hit.headers.get('etag')).toBe(miss.headers.get('etag'));
  expect(hit.headers.get('cache-control')!).toMatch(/max-age=\d+/);
});

test('When equivalent URLs differ only in parameter order or defaults, then they share one entry', async () => {
  await request(first.url, '/api/v1/cryptocurrencies/?limit=2&offset=0');
  const reordered = await request(first.url, '/api/v1/cryptocurrencies/?offset=0&limit=2&sort_by=market_cap');
  expect(reordered.headers.get('x-cache')).toBe('HIT');
});

test('When If-None-Match carries the current ETag, then the answer is 304 without a body', async () => {
  const fresh = await request(first.url, '/api/v1/cryptocurrencies/BTC');
  const etag = fresh.headers.get('etag')!;
  const response = await fetch(`${first.url}/api/v1/cryptocurrencies/BTC`, {
    headers: { 'If-None-Match': etag },
  });
  expect(response.status).toBe(304);
  expect(await response.text()).toBe('');
  const stale = await fetch(`${first.url}/api/v1/cryptocurrencies/BTC`, {
    headers: { 'If-None-Match': '"other"' },
  });
  expect(stale.status).toBe(200);
});

test('When market data changes and the cache is invalidated, then the next read shows the new data', async () => {
  const before = await request(first.url, '/api/v1/cryptocurrencies/DOGE');
  expect((await request(first.url, '/api/v1/cryptocurrencies/DOGE')).headers.get('x-cache')).toBe('HIT');
  await database.db.query(`UPDATE cryptocurrencies SET current_price = 0.5 WHERE symbol = 'DOGE'`);
  const stillCached = await request(first.url, '/api/v1/cryptocurrencies/DOGE');
  expect(stillCached.body.current_price).toBe(before.body.current_price); // served from cache until invalidated
  await invalidateMarketCache(first.cacheRedis, config.REDIS_KEY_PREFIX);
  const after = await request(second.url, '/api/v1/cryptocurrencies/DOGE');
  expect(after.headers.get('x-cache')).toBe('MISS');
  expect(after.body.current_price).toBe(0.5);
  expect(after.headers.get('etag')).not.toBe(before.headers.get('etag'));
});

test('When 40 requests for one uncached key arrive at two replicas at once, then PostgreSQL is asked once', async () => {
  const path = '/api/v1/cryptocurrencies/?limit=3&sort_by=name';
  const loadsBefore = await counterValue([first.metrics, second.metrics], 'http_cache_loads_total');
  const responses = await Promise.all(
    Array.from({ length: 40 }, (_, index) => fetch(`${(index % 2 ? first : second).url}${path}`)),
  );
  expect(responses.every((response) => response.status === 200)).toBeTruthy();
  const bodies = new Set(await Promise.all(responses.map((response) => response.text())));
  expect(bodies.size).toBe(1);
  const loadsAfter = await counterValue([first.metrics, second.metrics], 'http_cache_loads_total');
  expect(loadsAfter - loadsBefore).toBe(1);
});

test('When a request fails (404), then the failure is not cached', async () => {
  expect((await request(first.url, '/api/v1/cryptocurrencies/NEWCOIN')).status).toBe(404);
  await database.db.query(
    `INSERT INTO cryptocurrencies (symbol, name, slug) VALUES ('NEWCOIN', 'New Coin', 'new-coin')`,
  );
  expect((await request(first.url, '/api/v1/cryptocurrencies/NEWCOIN')).status).toBe(200);
});

test('When the cache store evicts the market version, then no answer stored under an earlier version is served again', async () => {
  const versionKey = dataVersionKey(config.REDIS_KEY_PREFIX);
  // A deployment's first version (no key yet), an answer cached under it, then new data and a bump.
  await first.cacheRedis.del(versionKey);
  const original = await request(first.url, '/api/v1/cryptocurrencies/ETH');
  expect((await request(first.url, '/api/v1/cryptocurrencies/ETH')).headers.get('x-cache')).toBe('HIT');
  await database.db.query(`UPDATE cryptocurrencies SET current_price = 1234.5 WHERE symbol = 'ETH'`);
  await invalidateMarketCache(first.cacheRedis, config.REDIS_KEY_PREFIX);
  // Under memory pressure allkeys-lru may drop the version key (the entry above is still stored).
  await first.cacheRedis.del(versionKey);
  for (const replica of [first, second]) {
    const after = await request(replica.url, '/api/v1/cryptocurrencies/ETH');
    expect(after.body.current_price).toBe(1234.5);
    expect(after.body.current_price).not.toBe(original.body.current_price);
  }
  expect(await first.cacheRedis.get(versionKey)).toBeTruthy(); // a fresh version was seeded
});
