import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createDataSource } from '../../core/platform/db/data-source.ts';
import { seedBundledData } from '../../core/market/index.ts';
import { startTestApi } from '../../test/api-server.ts';
import { testConfig } from '../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../test/db.ts';
import { request } from '../../test/openapi-conformance.ts';
import { startTcpProxy, type TTcpProxy } from '../../test/tcp-proxy.ts';

let database: TTestDatabase;
beforeAll(async () => {
  database = await createTestDatabase(testConfig());
  await seedBundledData(database.db, { symbols: ['BTC', 'ETH'], history: 'month' });
});
afterAll(async () => {
  await database.drop();
});

test('When Redis is down, then reads are still served from PostgreSQL and /health reports it', async () => {
  const config = testConfig({ REDIS_URL: 'redis://127.0.0.1:1', CACHE_REDIS_URL: 'redis://127.0.0.1:1' });
  const api = await startTestApi(config, database.db);
  try {
    const listing = await request(api.url, '/api/v1/cryptocurrencies/?limit=1');
    expect(listing.status).toBe(200);
    expect(listing.body.data[0].symbol).toBe('BTC');
    expect(listing.headers.get('x-cache')).toBe('MISS');
    expect(listing.headers.get('etag')).toBeTruthy(); // ETags still work without Redis
    const health = await request(api.url, '/health');
    expect(health.status).toBe(503);
    expect(health.body.checks.redis.status).toBe('down');
    expect(health.body.checks.database.status).toBe('up');
    const ready = await request(api.url, '/readyz');
    expect(ready.status).toBe(200); // the API is still ready: it can serve without Redis
  } finally {
    await api.close();
  }
});

test('When PostgreSQL goes away, then /readyz is 503, reads fail fast with a 503 problem, and it recovers', async () => {
  const proxy: TTcpProxy = await startTcpProxy(Number(new URL(database.url).port || 5432));
  const url = new URL(database.url);
  url.port = String(proxy.port);
  const config = testConfig({ DATABASE_URL: url.toString(), DATABASE_CONNECT_TIMEOUT_MS: '1000' });
  const db = createDataSource(config, 'resilience-test');
  await db.initialize();
  const api = await startTestApi(config, db);
  try {
    expect((await request(api.url, '/api/v1/cryptocurrencies/?offset=0')).status).toBe(200);
    expect((await request(api.url, '/readyz')).status).toBe(200);

    proxy.cut();
    const ready = await request(api.url, '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.database.status).toBe('down');
    for (const offset of [1, 2]) {
      const response = await request(api.url, `/api/v1/cryptocurrencies/?offset=${offset}`, {
        signal: AbortSignal.timeout(10_000), // a hang would fail the test here
      });
      expect(response.status).toBe(503);
      expect(response.body.type).toBe('urn:trading-backend:problem:dependency_unavailable');
      expect(response.headers.get('retry-after')).toBe('5');
      expect(JSON.stringify(response.body)).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    }
    const health = await request(api.url, '/health');
    expect(health.status).toBe(503);

    proxy.restore();
    let recovered = 0;
    for (let attempt = 0; attempt < 50 && recovered !== 200; attempt += 1) {
      recovered = (await request(api.url, `/api/v1/cryptocurrencies/?offset=${10 + attempt}`)).status;
      if (recovered !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(recovered).toBe(200);
    expect((await request(api.url, '/readyz')).status).toBe(200);
  } finally {
    await api.close();
    await db.destroy();
    await proxy.close();
  }
});
