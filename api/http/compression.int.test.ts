import http from 'node:http';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { seedBundledData } from '../../core/market/index.ts';
import { counterValue, startTestApi, type TTestApi } from '../../test/api-server.ts';
import { testConfig } from '../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../test/db.ts';
import { RECORDED_MARKET } from '../../test/market.ts';

let database: TTestDatabase;
let api: TTestApi;
const config = testConfig({ RATE_LIMIT_PER_MINUTE: '100000' });
const LISTING = '/api/v1/cryptocurrencies/?limit=100';

beforeAll(async () => {
  database = await createTestDatabase(config);
  await seedBundledData(database.db, { history: 'month', ...RECORDED_MARKET });
  api = await startTestApi(config, database.db);
});
afterAll(async () => {
  await api.close();
  await database.drop();
});

/** The bytes on the wire, undecoded (fetch would decode them). */
function get(path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>(
    (resolve, reject) => {
      http
        .get(`${api.url}${path}`, { headers }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }),
          );
        })
        .on('error', reject);
    },
  );
}

describe('compressed answers on the read path', () => {
  test('When a client accepts br and gzip, then the listing comes as brotli, gzip or identity with the same JSON', async () => {
    const identity = await get(LISTING);
    const br = await get(LISTING, { 'Accept-Encoding': 'br, gzip' });
    const gzip = await get(LISTING, { 'Accept-Encoding': 'gzip, deflate' });
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(br.headers['content-encoding']).toBe('br');
    expect(gzip.headers['content-encoding']).toBe('gzip');
    for (const answer of [identity, br, gzip]) expect(answer.headers.vary).toBe('Accept-Encoding');
    expect(zlib.brotliDecompressSync(br.body).equals(identity.body)).toBe(true);
    expect(zlib.gunzipSync(gzip.body).equals(identity.body)).toBe(true);
    expect(identity.body.length).toBeGreaterThan(40_000); // every coin of the recorded market, about 43 KB
    expect(br.body.length).toBeLessThan(identity.body.length / 4);
    expect(Number(br.headers['content-length'])).toBe(br.body.length);
  });

  test('When preferences are weighted, then q-values decide and q=0 refuses a coding', async () => {
    const cases: [string, string | undefined][] = [
      ['br;q=0, gzip', 'gzip'],
      ['gzip;q=1.0, br;q=0.5', 'gzip'],
      ['*', 'br'],
      ['identity', undefined],
      ['deflate', undefined],
      ['br;q=0, gzip;q=0', undefined],
      ['*;q=0', undefined],
    ];
    for (const [accept, expected] of cases)
      expect([
        accept,
        (await get(LISTING, { 'Accept-Encoding': accept })).headers['content-encoding'],
      ]).toStrictEqual([accept, expected]);
  });

  test('When each representation has its own ETag, then If-None-Match gives a 304 for that representation only', async () => {
    const br = await get(LISTING, { 'Accept-Encoding': 'br' });
    const identity = await get(LISTING);
    expect(br.headers.etag).not.toBe(identity.headers.etag);
    const notModified = await get(LISTING, { 'Accept-Encoding': 'br', 'If-None-Match': br.headers.etag! });
    expect(notModified.status).toBe(304);
    expect(notModified.body.length).toBe(0);
    expect(notModified.headers.vary).toBe('Accept-Encoding');
    // Another representation's validator does not match this one.
    const other = await get(LISTING, { 'Accept-Encoding': 'br', 'If-None-Match': identity.headers.etag! });
    expect(other.status).toBe(200);
    expect(other.headers['content-encoding']).toBe('br');
  });

  test('When compressed answers are served again, then they come from the cache: compressed once, stored in Redis', async () => {
    const path = '/api/v1/cryptocurrencies/?limit=90&sort_by=name';
    await get(path, { 'Accept-Encoding': 'br' });
    const loads = await counterValue([api.metrics], 'http_cache_loads_total');
    for (let i = 0; i < 20; i += 1) {
      const hit = await get(path, { 'Accept-Encoding': i % 2 ? 'br' : 'gzip' });
      expect(hit.headers['x-cache']).toBe('HIT');
    }
    expect(await counterValue([api.metrics], 'http_cache_loads_total')).toBe(loads);
    const keys = await api.cacheRedis.keys(
      `${config.REDIS_KEY_PREFIX}cache:public:/api/v1/cryptocurrencies/:*`,
    );
    const stored = keys.find((key) => key.endsWith('|br') && key.includes('"limit":90'))!;
    const raw = (await api.cacheRedis.getBuffer(stored))!;
    const brBody = (await get(path, { 'Accept-Encoding': 'br' })).body;
    expect(raw.subarray(raw.length - brBody.length).equals(brBody)).toBe(true); // the stored bytes are what is sent
  });

  test('When a body is too small to gain from compression, then it is sent as it is, still varying on Accept-Encoding', async () => {
    const small = await get('/api/v1/cryptocurrencies/top/gainers?limit=1', {
      'Accept-Encoding': 'br, gzip',
    });
    expect(small.body.length).toBeLessThan(1024);
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.headers.vary).toBe('Accept-Encoding');
    expect(JSON.parse(small.body.toString()).data).toHaveLength(1);
  });
});
