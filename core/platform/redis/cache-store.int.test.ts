import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { startTestApi, type TTestApi } from '../../../test/api-server.ts';
import { testConfig } from '../../../test/config.ts';
import { createTestDatabase, type TTestDatabase } from '../../../test/db.ts';
import { withContext } from '../../../test/expect-context.ts';
import { seedDailyPrices } from '../../../test/prices.ts';
import { startRedisServer, type TRedisServer } from '../../../test/redis-server.ts';
import { startTestWorkers, waitForJob, type TTestWorkers } from '../../../test/worker-harness.ts';

// The queue store and the cache store as the chart and services.sh run them, made small so that the
// test fills them: the queue store refuses writes when full (noeviction), the cache store evicts.
const MiB = 2 ** 20;
const QUEUE_MAXMEMORY = 16 * MiB;
const CACHE_MAXMEMORY = 4 * MiB;
let queueStore: TRedisServer;
let cacheStore: TRedisServer;
let database: TTestDatabase;
let api: TTestApi;
let workers: TTestWorkers;
const logLines: string[] = [];

beforeAll(async () => {
  queueStore = await startRedisServer([
    '--maxmemory',
    String(QUEUE_MAXMEMORY),
    '--maxmemory-policy',
    'noeviction',
  ]);
  cacheStore = await startRedisServer([
    '--maxmemory',
    String(CACHE_MAXMEMORY),
    '--maxmemory-policy',
    'allkeys-lru',
  ]);
  const config = testConfig({
    REDIS_URL: queueStore.url,
    CACHE_REDIS_URL: cacheStore.url,
    RATE_LIMIT_PER_MINUTE: '1000000',
    CACHE_MEMORY_MB: '0',
  });
  database = await createTestDatabase(config);
  await seedDailyPrices(database.db, { BTC: (index) => (20_000 + index * 1.25).toFixed(2) }, 4800);
  api = await startTestApi(config, database.db, { logLines });
  workers = await startTestWorkers(config, database.db);
});
afterAll(async () => {
  await workers?.close();
  await api?.close();
  await database?.drop();
  await queueStore?.close();
  await cacheStore?.close();
});

test('When anonymous reads with distinct days fill the cache store to its limit, then it evicts, and every job is still accepted and completed', async () => {
  const jobs: string[] = [];
  const end = Date.now();
  let bytes = 0;
  for (let index = 0; index < 60; index += 1) {
    // A distinct `to` per request: a new cache key each time, as a hostile client would make them.
    const to = new Date(end - index * 60_000).toISOString();
    const [response, job] = await Promise.all([
      fetch(`${api.url}/api/v1/cryptocurrencies/BTC/history?limit=5000&to=${to}`),
      api.queues.enqueue('evaluate-alerts', { symbols: ['BTC'] }, Date.now() + index),
    ]);
    withContext(`request ${index}`, () => expect(response.status).toBe(200));
    bytes += (await response.arrayBuffer()).byteLength;
    jobs.push(job.job_id);
    if (index % 10 === 0) {
      const health = await fetch(`${api.url}/health`);
      withContext(`health at ${index}`, () => expect(health.status).toBe(200));
    }
  }
  // More answers than both stores hold: without the split the queue store would be full by now.
  expect(bytes).toBeGreaterThan(QUEUE_MAXMEMORY);
  for (const id of jobs) {
    const { state } = await waitForJob(api.queues, id);
    withContext(id, () => expect(state).toBe('completed'));
  }
  expect(await cacheStore.info('evicted_keys')).toBeGreaterThan(0);
  expect(await cacheStore.info('used_memory')).toBeLessThanOrEqual(CACHE_MAXMEMORY * 1.1);
  // The queue store holds the queues and little else.
  expect(await queueStore.info('used_memory')).toBeLessThan(QUEUE_MAXMEMORY / 2);
  expect(logLines.filter((line) => /OOM|cache store failed/.test(line))).toStrictEqual([]);
  expect((await fetch(`${api.url}/health`)).status).toBe(200);
});
