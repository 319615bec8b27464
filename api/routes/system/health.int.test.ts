import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { startTestApi, type TTestApi } from '../../../test/api-server.ts';
import { signIn } from '../../../test/auth.ts';
import { testConfig } from '../../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../../test/db.ts';
import { request } from '../../../test/openapi-conformance.ts';

/**
 * /health is public (the ingress routes it): anyone learns up or down per dependency, only operators
 * the details, since the dependencies' error texts name hosts, ports and users.
 */
let database: TTestDatabase;
let api: TTestApi;
let healthy: TTestApi;
beforeAll(async () => {
  const config = testConfig();
  database = await createTestDatabase(config);
  healthy = await startTestApi(config, database.db);
  // Redis on a port where nothing listens: its client's error names the address it tried.
  api = await startTestApi(testConfig({ REDIS_URL: 'redis://127.0.0.1:1' }), database.db);
});
afterAll(async () => {
  await api.close();
  await healthy.close();
  await database.drop();
});

test('When a dependency is down, then anonymous callers see up or down only: no error text, address, latency or version', async () => {
  const health = await request(api.url, '/health');
  expect(health.status).toBe(503);
  expect(health.body).toEqual({
    status: 'degraded',
    checks: { database: { status: 'up' }, redis: { status: 'down' } },
    market_data: expect.any(Object),
  });
  expect(JSON.stringify(health.body)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|connection|latency/);
  const ready = await request(api.url, '/readyz');
  expect(ready.status).toBe(200);
  expect(JSON.stringify(ready.body)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|connection/);
  expect(ready.body.checks.redis.status).toBe('down');
});

test('When an operator (jobs:admin) asks, then the details come back; other or invalid credentials get the public answer', async () => {
  const admin = await signIn(healthy, 'admin');
  const detailed = await request(api.url, '/health', { headers: admin.headers });
  expect(detailed.status).toBe(503);
  expect(detailed.body).toMatchObject({
    status: 'degraded',
    version: 'test',
    uptime_seconds: expect.any(Number),
    checks: {
      database: { status: 'up', latency_ms: expect.any(Number) },
      redis: { status: 'down', error: expect.any(String) },
    },
  });
  const trader = await signIn(healthy, 'trader');
  for (const headers of [
    trader.headers,
    { Authorization: 'Bearer not-a-token' },
    { 'X-API-Key': 'tbk_nope' },
  ]) {
    const answer = await request(api.url, '/health', { headers });
    expect(answer.status).toBe(503);
    expect(answer.body.checks.redis).toEqual({ status: 'down' });
    expect(answer.body.version).toBeUndefined();
  }
  expect((await request(healthy.url, '/health', { headers: admin.headers })).body).toMatchObject({
    status: 'ok',
    checks: { database: { status: 'up' }, redis: { status: 'up' } },
  });
});
