import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { startSentinelSet, type TSentinelSet } from '../../../test/redis-sentinel.ts';
import { loadConfig } from '../config/env.ts';
import { createCacheRedis, createQueueRedis, type TRedisTarget } from './redis.ts';

let set: TSentinelSet;
let target: TRedisTarget;
const connections: Redis[] = [];
beforeAll(async () => {
  set = await startSentinelSet();
  // Through the configuration, as the API and the worker get it.
  target = loadConfig({
    REDIS_SENTINELS: set.sentinels.map((s) => `${s.host}:${s.port}`).join(','),
    REDIS_SENTINEL_MASTER: set.master,
  }).REDIS;
}, 60_000);
afterAll(async () => {
  for (const connection of connections) connection.disconnect();
  await set?.close();
});

const track = (connection: Redis) => {
  // Reconnection attempts while the master is down are expected; the test asserts on outcomes instead.
  connection.on('error', () => undefined);
  connections.push(connection);
  return connection;
};

test('When the master is killed under a stream of jobs, then the Sentinels promote a replica, writes resume, and every acknowledged job completes', async () => {
  expect(typeof target).toBe('object');
  const queue = new Queue('failover', { connection: track(createQueueRedis(target)), prefix: 'fo' });
  queue.on('error', () => undefined);
  const processed = new Map<string, number>();
  const worker = new Worker(
    'failover',
    async (job) => {
      processed.set(job.id!, (processed.get(job.id!) ?? 0) + 1);
    },
    { connection: track(createQueueRedis(target)), prefix: 'fo', concurrency: 4 },
  );
  worker.on('error', () => undefined);
  const cache = track(createCacheRedis(target));
  // A replica must hold each acknowledged enqueue before the caller is told: WAIT closes the window in
  // which asynchronous replication could lose it when the master dies.
  const waiter = track(createQueueRedis(target));
  const acknowledged: string[] = [];
  let failedToCaller = 0;
  async function enqueue(id: string) {
    for (;;) {
      try {
        await queue.add('job', { id }, { jobId: id, attempts: 5, backoff: { type: 'fixed', delay: 200 } });
        const replicas = Number(await waiter.call('WAIT', '1', '2000'));
        if (replicas < 1) throw new Error('not replicated');
        acknowledged.push(id);
        return;
      } catch {
        failedToCaller += 1; // the caller is told and retries; the job id keeps a retry from doubling it
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  for (let index = 0; index < 20; index += 1) await enqueue(`before-${index}`);
  const oldMaster = await set.masterPort();
  const killedAt = Date.now();
  await set.kill(oldMaster);
  // Writes through the cache connection (fail-fast) until one succeeds on the promoted master.
  let writesBackAfterMs = 0;
  const during = (async () => {
    for (let index = 0; index < 20; index += 1) await enqueue(`during-${index}`);
  })();
  for (;;) {
    try {
      await cache.set('failover:probe', String(Date.now()));
      writesBackAfterMs = Date.now() - killedAt;
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await during;
  expect(await set.masterPort()).not.toBe(oldMaster);
  for (let index = 0; index < 20; index += 1) await enqueue(`after-${index}`);

  const deadline = Date.now() + 30_000;
  while (acknowledged.some((id) => !processed.has(id)) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 100));
  const missing = acknowledged.filter((id) => !processed.has(id));
  const repeated = [...processed.values()].filter((count) => count > 1).length;
  process.stdout.write(
    `failover: writes back after ${writesBackAfterMs} ms; ${acknowledged.length} acknowledged, ${missing.length} lost, ${repeated} run twice, ${failedToCaller} enqueue attempts refused to the caller\n`,
  );
  expect(acknowledged).toHaveLength(60);
  expect(missing).toEqual([]);
  expect(writesBackAfterMs).toBeLessThan(20_000);
  await worker.close();
  await queue.close();
}, 90_000);
