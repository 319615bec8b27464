import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { withContext } from '../../../test/expect-context.ts';
import { Validator } from '@seriousme/openapi-schema-validator';
import { startTestApi, type TTestApi } from '../../../test/api-server.ts';
import { createApiKey, signIn } from '../../../test/auth.ts';
import { testConfig } from '../../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../../test/db.ts';
import { request } from '../../../test/openapi-conformance.ts';
import { ROOT } from '../../../test/processes.ts';

let database: TTestDatabase;
let api: TTestApi;
beforeAll(async () => {
  const config = testConfig({ BODY_LIMIT: '1kb', CORS_ORIGINS: 'https://app.example.com' });
  database = await createTestDatabase(config);
  api = await startTestApi(config, database.db);
});
afterAll(async () => {
  await api.close();
  await database.drop();
});

test('When / is requested, then it names the API and links the docs', async () => {
  const { status, body } = await request(api.url, '/');
  expect(status).toBe(200);
  expect(body.name).toBe('trading-backend');
  expect(body.links.docs).toBe('/docs');
  expect(body.links.openapi).toBe('/openapi.json');
});

test('When all dependencies are up, then /health, /livez and /readyz are 200', async () => {
  const health = await request(api.url, '/health');
  expect(health.status).toBe(200);
  expect(health.body.status).toBe('ok');
  expect(health.body.checks.database.status).toBe('up');
  expect(health.body.checks.redis.status).toBe('up');
  expect(health.body.checks.database.latency_ms).toBeUndefined(); // operators only (health.int.test.ts)
  expect((await request(api.url, '/livez')).status).toBe(200);
  expect((await request(api.url, '/readyz')).status).toBe(200);
});

test('When the process is shutting down, then /readyz is 503 while /livez stays 200', async () => {
  api.setShuttingDown(true);
  try {
    const ready = await request(api.url, '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.status).toBe('shutting_down');
    expect((await request(api.url, '/livez')).status).toBe(200);
  } finally {
    api.setShuttingDown(false);
  }
});

test('When /openapi.json is fetched, then it is a valid OpenAPI 3.1 document covering every route', async () => {
  const { status, body } = await request(api.url, '/openapi.json');
  expect(status).toBe(200);
  const result = await new Validator().validate(body);
  withContext(JSON.stringify(result.errors), () => expect(result.valid).toBe(true));
  expect(body.openapi).toBe('3.1.0');
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
    withContext(`${path} documented`, () => expect(body.paths[path]).toBeTruthy());
  }
});

test('When /docs is opened, then the interactive documentation page is served', async () => {
  const response = await fetch(`${api.url}/docs/`);
  expect(response.status).toBe(200);
  expect(await response.text()).toMatch(/swagger-ui/i);
});

test('When /metrics is scraped after traffic, then HTTP, cache, pool and event-loop metrics are exported', async () => {
  await request(api.url, '/api/v1/cryptocurrencies/');
  await request(api.url, '/api/v1/cryptocurrencies/NOPE');
  const response = await fetch(`${api.url}/metrics`);
  expect(response.status).toBe(200);
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
    withContext(`${name} exported`, () => expect(text.includes(name)).toBeTruthy());
  }
  expect(text).toMatch(
    /http_requests_total\{method="GET",route="\/api\/v1\/cryptocurrencies\/:symbol",status="404"/,
  );
});

test('When a route does not exist, then the answer is a 404 problem', async () => {
  const response = await fetch(`${api.url}/api/v1/nothing-here`);
  expect(response.status).toBe(404);
  expect(response.headers.get('content-type')!).toMatch(/application\/problem\+json/);
  const body = (await response.json()) as { status: number; title: string };
  expect(body.status).toBe(404);
  expect(body.title).toBe('Not Found');
});

test('When a body is over the limit or is not JSON, then the answer is 413 or 400, never 500', async () => {
  const big = await fetch(`${api.url}/api/v1/cryptocurrencies/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ pad: 'x'.repeat(4096) }),
  });
  expect(big.status).toBe(413);
  expect(big.headers.get('content-type')!).toMatch(/application\/problem\+json/);
  const broken = await fetch(`${api.url}/api/v1/cryptocurrencies/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"unterminated": ',
  });
  expect(broken.status).toBe(400);
  expect(((await broken.json()) as { detail: string }).detail).toBe('The request body is not valid JSON.');
});

test('When a path has broken percent-encoding, then the answer is a 400 problem', async () => {
  const response = await fetch(`${api.url}/api/v1/cryptocurrencies/%E0%A4%A`);
  expect(response.status).toBe(400);
  expect(response.headers.get('content-type')!).toMatch(/application\/problem\+json/);
});

test('When any response is sent, then it carries a request id, security headers and CORS for allowed origins', async () => {
  const response = await fetch(`${api.url}/api/v1/cryptocurrencies/`, {
    headers: { 'X-Request-Id': 'trace-abc-123', Origin: 'https://app.example.com' },
  });
  expect(response.headers.get('x-request-id')).toBe('trace-abc-123');
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
  expect(response.headers.get('x-frame-options')).toBe('DENY');
  expect(response.headers.get('strict-transport-security')!).toMatch(/max-age=\d+/);
  expect(response.headers.get('cross-origin-opener-policy')).toBe(null); // document-only headers stay off JSON
  expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
  const docs = await fetch(`${api.url}/docs`);
  expect(docs.headers.get('content-security-policy')!).toMatch(/script-src 'self'/);
  expect(docs.headers.get('cross-origin-opener-policy')).toBe('same-origin');
  const generated = await fetch(`${api.url}/livez`, { headers: { 'X-Request-Id': 'bad id with spaces' } });
  expect(generated.headers.get('x-request-id')!).toMatch(/^[0-9a-f-]{36}$/);
  const foreign = await fetch(`${api.url}/livez`, { headers: { Origin: 'https://evil.example.com' } });
  expect(foreign.headers.get('access-control-allow-origin')).toBe(null);
});

test('When docs/openapi.json is compared with the generated document, then it is up to date', async () => {
  const committed = JSON.parse(await readFile(path.join(ROOT, 'docs', 'openapi.json'), 'utf8'));
  const { body } = await request(api.url, '/openapi.json');
  expect({ ...committed, info: { ...committed.info, version: 'x' } }).toStrictEqual({
    ...body,
    info: { ...body.info, version: 'x' },
  }); // run npm run openapi
});

test('When the queue dashboard is opened, then only callers with jobs:admin get in, by token, key or Basic', async () => {
  const anonymousPage = await fetch(`${api.url}/admin/queues`);
  expect(anonymousPage.status).toBe(401);
  expect(anonymousPage.headers.get('www-authenticate')).toMatch(/^Basic realm=/); // browsers ask for a login
  expect(
    (await fetch(`${api.url}/admin/queues`, { headers: { Authorization: 'Bearer wrong-token-000000' } }))
      .status,
  ).toBe(401);
  const trader = await signIn(api, 'trader');
  expect((await fetch(`${api.url}/admin/queues`, { headers: trader.headers })).status).toBe(403);
  const admin = await signIn(api, 'admin');
  const page = await fetch(`${api.url}/admin/queues`, { headers: admin.headers });
  expect(page.status).toBe(200);
  expect(await page.text()).toMatch(/<html/i);
  // In a browser: HTTP Basic, any user name, an admin's API key as the password.
  const { key } = await createApiKey(api.url, admin, ['jobs:admin']);
  const basic = Buffer.from(`ops:${key}`).toString('base64');
  const queuesApi = await fetch(`${api.url}/admin/queues/api/queues`, {
    headers: { Authorization: `Basic ${basic}` },
  });
  expect(queuesApi.status).toBe(200);
  expect((await fetch(`${api.url}/admin/queues/api/queues`, { headers: { 'X-API-Key': key } })).status).toBe(
    200,
  );
});

test('When the schema lacks a migration this code knows, then /readyz is 503 naming it, and 200 once it is applied', async () => {
  const config = testConfig();
  const behind = await createTestDatabase(config);
  const early = await startTestApi(config, behind.db);
  try {
    await behind.db.undoLastMigration();
    const notYet = await request(early.url, '/readyz');
    expect(notYet.status).toBe(503);
    expect(notYet.body.checks.schema).toMatchObject({ status: 'down', error: 'migrations not applied yet' });
    await behind.db.runMigrations();
    const ready = await request(early.url, '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.schema.status).toBe('up');
  } finally {
    await early.close();
    await behind.drop();
  }
});
