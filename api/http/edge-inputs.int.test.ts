import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { seedBundledData } from '../../core/market/index.ts';
import { startTestApi, type TTestApi } from '../../test/api-server.ts';
import { signIn, type TSignedIn } from '../../test/auth.ts';
import { testConfig } from '../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../test/db.ts';
import { request } from '../../test/openapi-conformance.ts';

// Inputs and methods that used to end in a 500, a misleading 503, a bare Node status line or a silent 200.
let database: TTestDatabase;
let api: TTestApi;
let admin: TSignedIn;

beforeAll(async () => {
  const config = testConfig({ RATE_LIMIT_PER_MINUTE: '100000' });
  database = await createTestDatabase(config);
  await seedBundledData(database.db, { symbols: ['BTC'], history: 'month' });
  api = await startTestApi(config, database.db);
  admin = await signIn(api, 'admin');
});
afterAll(async () => {
  await api.close();
  await database.drop();
});

/** Sends raw bytes (fetch would refuse some of these requests itself) and reads the whole answer. */
function raw(text: string): Promise<{ status: number; headers: string; body: string }> {
  const { port } = new URL(api.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(text));
    let received = '';
    socket.on('data', (chunk) => (received += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = received.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), headers: head, body });
    });
  });
}

describe('text PostgreSQL cannot store', () => {
  test('When search holds a NUL byte, then the answer is a 400 problem naming search, not a 500', async () => {
    const { status, body } = await request(api.url, '/api/v1/cryptocurrencies/?search=bt%00c');
    expect(status).toBe(400);
    expect(body.errors).toStrictEqual([
      {
        name: 'search',
        in: 'query',
        detail: 'must not contain NUL (U+0000) characters',
      },
    ]);
  });
});

describe('job ids', () => {
  for (const id of ['meta', 'events', 'stalled-check', 'sync-markets', 'repeat:sync-top-50', 'id', 'wait']) {
    test(`When /jobs/${id} is asked for (a queue key, not a job), then it is a 404 problem`, async () => {
      const { status, body } = await request(api.url, `/api/v1/jobs/${id}`, { headers: admin.headers });
      expect(status).toBe(404);
      expect(body.type).toBe('urn:trading-backend:problem:not_found');
    });
  }

  test('When a well-formed id names no job, then it is a 404 problem too', async () => {
    const { status } = await request(api.url, '/api/v1/jobs/sync-markets-default-50-1732406400000', {
      headers: admin.headers,
    });
    expect(status).toBe(404);
  });
});

describe('methods a path does not take', () => {
  for (const [method, path, allow] of [
    ['TRACE', '/api/v1/cryptocurrencies/', 'GET, HEAD, OPTIONS'],
    ['PUT', '/api/v1/cryptocurrencies/BTC', 'GET, HEAD, OPTIONS'],
    ['DELETE', '/api/v1/cryptocurrencies/BTC/history', 'GET, HEAD, OPTIONS'],
    ['PATCH', '/api/v1/risk/BTC', 'GET, HEAD, OPTIONS'],
    // A literal path wins over a templated one (OpenAPI's rule): /sync is not the coin "SYNC".
    ['GET', '/api/v1/cryptocurrencies/sync', 'OPTIONS, POST'],
    ['PUT', '/api/v1/cryptocurrencies/sync', 'OPTIONS, POST'],
    [
      'PATCH',
      '/api/v1/portfolios/00000000-0000-4000-8000-000000000000/transactions/export',
      'GET, HEAD, OPTIONS',
    ],
    ['POST', '/health', 'GET, HEAD, OPTIONS'],
  ] as const) {
    test(`When ${method} ${path} arrives, then the answer is 405 with Allow`, async () => {
      const response = await raw(`${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(response.status).toBe(405);
      expect(response.headers).toMatch(new RegExp(`\\r\\nAllow: ${allow}\\r\\n`, 'i'));
      expect(response.headers).toMatch(/content-type: application\/problem\+json/i);
      expect(
        JSON.parse(
          response.body
            .trim()
            .split('\r\n')
            .find((line) => line.startsWith('{'))!,
        ),
      ).toMatchObject({
        status: 405,
        type: 'urn:trading-backend:problem:method_not_allowed',
      });
    });
  }

  test('When a path does not exist at all, then any method gets a 404', async () => {
    expect((await raw('PUT /api/v1/nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status).toBe(
      404,
    );
  });
});

describe('requests over the size limits', () => {
  test('When the URL is longer than 16 KiB, then the answer is a 414 problem', async () => {
    const response = await raw(
      `GET /api/v1/cryptocurrencies/?search=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    expect(response.status).toBe(414);
    expect(response.headers).toMatch(/content-type: application\/problem\+json/i);
    expect(JSON.parse(response.body)).toMatchObject({
      status: 414,
      type: 'urn:trading-backend:problem:uri_too_long',
    });
  });

  test('When the header block is larger than 16 KiB, then the answer is a 431 problem', async () => {
    const response = await raw(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
    expect(response.status).toBe(431);
    expect(JSON.parse(response.body)).toMatchObject({
      status: 431,
      type: 'urn:trading-backend:problem:headers_too_large',
      instance: '/health',
    });
  });

  test('When the request line is not HTTP, then the answer is a 400 problem', async () => {
    const response = await raw('HELLO\r\n\r\n');
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ status: 400 });
  });
});

describe('unknown query parameters', () => {
  for (const path of [
    '/api/v1/cryptocurrencies/BTC?foo=1',
    '/api/v1/jobs/sync-markets-default-50-1?verbose=true',
    '/api/v1/cryptocurrencies/top/gainers?limt=3',
    '/health?full=1',
    '/?x=1',
  ]) {
    test(`When ${path} is asked for, then the unknown parameter is a 400 problem naming it`, async () => {
      const { status, body } = await request(api.url, path, { headers: admin.headers });
      expect(status).toBe(400);
      expect(body.errors[0]).toMatchObject({ in: 'query', detail: 'unknown parameter' });
    });
  }
});
