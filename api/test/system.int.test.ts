import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { startTestApi, type TTestApi } from '../../test/api-server.ts';
import { testConfig } from '../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../test/db.ts';
import { request } from '../../test/openapi-conformance.ts';

const ADMIN_TOKEN = 'test-admin-token-0123456789';
let database: TTestDatabase;
let api: TTestApi;
before(async () => {
  const config = testConfig({ BODY_LIMIT: '1kb', CORS_ORIGINS: 'https://app.example.com', ADMIN_TOKEN });
  database = await createTestDatabase(config);
  api = await startTestApi(config, database.db);
});
after(async () => {
  await api.close();
  await database.drop();
});

test('When / is requested, then it names the API and links the docs', async () => {
  const { status, body } = await request(api.url, '/');
  assert.equal(status, 200);
  assert.equal(body.name, 'trading-backend');
  assert.equal(body.links.docs, '/docs');
  assert.equal(body.links.openapi, '/openapi.json');
});

test('When all dependencies are up, then /health, /livez and /readyz are 200', async () => {
  const health = await request(api.url, '/health');
  assert.equal(health.status, 200);
  assert.equal(health.body.status, 'ok');
  assert.equal(health.body.checks.database.status, 'up');
  assert.equal(health.body.checks.redis.status, 'up');
  assert.equal(typeof health.body.checks.database.latency_ms, 'number');
  assert.equal((await request(api.url, '/livez')).status, 200);
  assert.equal((await request(api.url, '/readyz')).status, 200);
});

test('When the process is shutting down, then /readyz is 503 while /livez stays 200', async () => {
  api.setShuttingDown(true);
  try {
    const ready = await request(api.url, '/readyz');
    assert.equal(ready.status, 503);
    assert.equal(ready.body.status, 'shutting_down');
    assert.equal((await request(api.url, '/livez')).status, 200);
  } finally {
    api.setShuttingDown(false);
  }
});

test('When /openapi.json is fetched, then it is a valid OpenAPI 3.1 document covering every route', async () => {
  const { status, body } = await request(api.url, '/openapi.json');
  assert.equal(status, 200);
  const result = await new Validator().validate(body);
  assert.equal(result.valid, true, JSON.stringify(result.errors));
  assert.equal(body.openapi, '3.1.0');
  for (const path of [
    '/',
    '/health',
    '/livez',
    '/readyz',
    '/metrics',
    '/openapi.json',
    '/api/v1/cryptocurrencies/',
    '/api/v1/cryptocurrencies/{symbol}',
    '/api/v1/cryptocurrencies/{symbol}/history',
    '/api/v1/cryptocurrencies/top/{category}',
  ]) {
    assert.ok(body.paths[path], `${path} documented`);
  }
});

test('When /docs is opened, then the interactive documentation page is served', async () => {
  const response = await fetch(`${api.url}/docs/`);
  assert.equal(response.status, 200);
  assert.match(await response.text(), /swagger-ui/i);
});

test('When /metrics is scraped after traffic, then HTTP, cache, pool and event-loop metrics are exported', async () => {
  await request(api.url, '/api/v1/cryptocurrencies/');
  await request(api.url, '/api/v1/cryptocurrencies/NOPE');
  const response = await fetch(`${api.url}/metrics`);
  assert.equal(response.status, 200);
  const text = await response.text();
  for (const name of [
    'http_request_duration_seconds_bucket',
    'http_requests_total',
    'http_requests_in_flight',
    'http_cache_lookups_total',
    'db_pool_connections',
    'nodejs_eventloop_lag_seconds',
    'process_cpu_seconds_total',
  ]) {
    assert.ok(text.includes(name), `${name} exported`);
  }
  assert.match(
    text,
    /http_requests_total\{method="GET",route="\/api\/v1\/cryptocurrencies\/:symbol",status="404"/,
  );
});

test('When a route does not exist, then the answer is a 404 problem', async () => {
  const response = await fetch(`${api.url}/api/v1/nothing-here`);
  assert.equal(response.status, 404);
  assert.match(response.headers.get('content-type')!, /application\/problem\+json/);
  const body = (await response.json()) as { status: number; title: string };
  assert.equal(body.status, 404);
  assert.equal(body.title, 'Not Found');
});

test('When a body is over the limit or is not JSON, then the answer is 413 or 400, never 500', async () => {
  const big = await fetch(`${api.url}/api/v1/cryptocurrencies/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ pad: 'x'.repeat(4096) }),
  });
  assert.equal(big.status, 413);
  assert.match(big.headers.get('content-type')!, /application\/problem\+json/);
  const broken = await fetch(`${api.url}/api/v1/cryptocurrencies/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"unterminated": ',
  });
  assert.equal(broken.status, 400);
  assert.equal(((await broken.json()) as { detail: string }).detail, 'The request body is not valid JSON.');
});

test('When a path has broken percent-encoding, then the answer is a 400 problem', async () => {
  const response = await fetch(`${api.url}/api/v1/cryptocurrencies/%E0%A4%A`);
  assert.equal(response.status, 400);
  assert.match(response.headers.get('content-type')!, /application\/problem\+json/);
});

test('When any response is sent, then it carries a request id, security headers and CORS for allowed origins', async () => {
  const response = await fetch(`${api.url}/api/v1/cryptocurrencies/`, {
    headers: { 'X-Request-Id': 'trace-abc-123', Origin: 'https://app.example.com' },
  });
  assert.equal(response.headers.get('x-request-id'), 'trace-abc-123');
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(response.headers.get('content-security-policy'), "default-src 'none';frame-ancestors 'none'");
  assert.equal(response.headers.get('x-frame-options'), 'DENY');
  assert.match(response.headers.get('strict-transport-security')!, /max-age=\d+/);
  assert.equal(
    response.headers.get('cross-origin-opener-policy'),
    null,
    'document-only headers stay off JSON',
  );
  assert.equal(response.headers.get('access-control-allow-origin'), 'https://app.example.com');
  const docs = await fetch(`${api.url}/docs`);
  assert.match(docs.headers.get('content-security-policy')!, /script-src 'self'/);
  assert.equal(docs.headers.get('cross-origin-opener-policy'), 'same-origin');
  const generated = await fetch(`${api.url}/livez`, { headers: { 'X-Request-Id': 'bad id with spaces' } });
  assert.match(generated.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/);
  const foreign = await fetch(`${api.url}/livez`, { headers: { Origin: 'https://evil.example.com' } });
  assert.equal(foreign.headers.get('access-control-allow-origin'), null);
});

test('When docs/openapi.json is compared with the generated document, then it is up to date', async () => {
  const committed = JSON.parse(
    await readFile(path.join(import.meta.dirname, '..', '..', 'docs', 'openapi.json'), 'utf8'),
  );
  const { body } = await request(api.url, '/openapi.json');
  assert.deepEqual(
    { ...committed, info: { ...committed.info, version: 'x' } },
    { ...body, info: { ...body.info, version: 'x' } },
    'run npm run openapi',
  );
});

test('When the queue dashboard is opened without the admin token, then it is refused', async () => {
  assert.equal((await fetch(`${api.url}/admin/queues`)).status, 401);
  assert.equal(
    (await fetch(`${api.url}/admin/queues`, { headers: { Authorization: 'Bearer wrong-token-000000' } }))
      .status,
    401,
  );
  const basic = Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64');
  const page = await fetch(`${api.url}/admin/queues`, { headers: { Authorization: `Basic ${basic}` } });
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<html/i);
  const queuesApi = await fetch(`${api.url}/admin/queues/api/queues`, {
    headers: { 'X-Admin-Token': ADMIN_TOKEN },
  });
  assert.equal(queuesApi.status, 200);
});

test('When no admin token is configured, then the queue dashboard does not exist', async () => {
  const closed = await startTestApi(testConfig(), database.db);
  try {
    assert.equal(
      (await fetch(`${closed.url}/admin/queues`, { headers: { Authorization: 'Bearer anything-at-all' } }))
        .status,
      404,
    );
  } finally {
    await closed.close();
  }
});
