import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { withContext } from '../../test/expect-context.ts';
import type { Redis } from 'ioredis';
import { createCacheRedis } from '../../core/platform/redis/redis.ts';
import { RedisWindowCounter, type TWindowHit } from './redis-window-counter.ts';
import { testConfig } from '../../test/config.ts';

const config = testConfig();
const prefix = config.REDIS_KEY_PREFIX;
const versionKey = `${prefix}cache:data:version`;
let redis: Redis;

beforeAll(async () => {
  redis = createCacheRedis(config.CACHE_REDIS);
  await new Promise((resolve) => redis.once('ready', resolve));
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

/** Counts the increments Redis receives for `key` while `work` runs (one per script call, seen through MONITOR). */
async function incrementsOf(key: string, work: () => Promise<unknown>): Promise<number> {
  const monitor = await redis.monitor();
  let calls = 0;
  monitor.on('monitor', (_time: string, args: string[]) => {
    if (args[0]?.toUpperCase() === 'INCRBY' && args[1] === key) calls += 1;
  });
  await work();
  await redis.ping(); // MONITOR lines arrive in order: once the PING shows, every call before it has
  await new Promise((resolve) => setTimeout(resolve, 50));
  monitor.disconnect();
  return calls;
}

const newCounter = (windowMs = 60_000) => new RedisWindowCounter(redis, versionKey, windowMs);

test('When 50 requests hit one window at once, then they get the counts 1..50 from one round trip', async () => {
  const counter = newCounter();
  const key = `${prefix}rl:burst`;
  let hits: TWindowHit[] = [];
  const calls = await incrementsOf(key, async () => {
    hits = await Promise.all(Array.from({ length: 50 }, () => counter.hit(key)));
  });
  expect(hits.map((hit) => hit.count).sort((a, b) => a - b)).toStrictEqual(
    Array.from({ length: 50 }, (_, index) => index + 1),
  );
  expect(calls).toBe(1); // one INCRBY for the whole batch
  expect(await redis.get(key)).toBe('50');
  for (const hit of hits)
    withContext(`ttl ${hit.ttlMs}`, () => expect(hit.ttlMs > 0 && hit.ttlMs <= 60_000).toBeTruthy());
});

test('When several keys are hit in one batch, then each keeps its own exact count and the version rides along', async () => {
  const counter = newCounter();
  await redis.set(versionKey, '7');
  const [a1, b1, a2, c1, a3] = await Promise.all(
    ['a', 'b', 'a', 'c', 'a'].map((name) => counter.hit(`${prefix}rl:${name}`)),
  );
  expect([a1!.count, a2!.count, a3!.count].sort((x, y) => x - y)).toStrictEqual([1, 2, 3]);
  expect(b1!.count).toBe(1);
  expect(c1!.count).toBe(1);
  for (const hit of [a1, b1, a2, c1, a3]) expect(hit!.version).toBe('7');
});

test('When the version key is gone (evicted from the cache store), then a fresh version is seeded, never an old one', async () => {
  const counter = newCounter();
  await redis.set(versionKey, '7');
  await redis.del(versionKey);
  const { version } = await counter.hit(`${prefix}rl:b`);
  expect(['0', '7', '8']).not.toContain(version); // a counter restarting from nothing would say 0 (or 1)
  expect(await redis.get(versionKey)).toBe(version); // every replica now reads the same new version
  await redis.del(versionKey);
  const next = await counter.hit(`${prefix}rl:b`);
  expect(next.version).not.toBe(version);
});

test('When requests of different costs share a batch, then each counts its cost and the key grows by their sum', async () => {
  const counter = newCounter();
  const key = `${prefix}rl:costs`;
  const hits = await Promise.all([counter.hit(key, 1), counter.hit(key, 10), counter.hit(key, 5)]);
  expect(hits.map((hit) => hit.count)).toStrictEqual([1, 11, 16]);
  expect(await redis.get(key)).toBe('16');
  expect((await counter.hit(key, 4)).count).toBe(20);
});

test('When a batch holds more keys than one script call takes, then every key is still counted once', async () => {
  const counter = newCounter();
  const keys = Array.from({ length: 600 }, (_, index) => `${prefix}rl:many:${index}`);
  const hits = await Promise.all(keys.map((key) => counter.hit(key)));
  expect(hits.every((hit) => hit.count === 1)).toBeTruthy();
  expect(await redis.mget(keys[0]!, keys[299]!, keys[599]!)).toStrictEqual(['1', '1', '1']);
});

test('When two counters (two replicas) share a key, then they share one budget', async () => {
  const replicaA = newCounter();
  const replicaB = newCounter();
  const key = `${prefix}rl:shared`;
  const counts: number[] = [];
  for (const counter of [replicaA, replicaB, replicaA, replicaB]) counts.push((await counter.hit(key)).count);
  expect(counts).toStrictEqual([1, 2, 3, 4]);
});

test('When a window is created, then it expires after the window length', async () => {
  // Long enough that a stalled test process still reads the key before it is gone.
  const counter = newCounter(2000);
  const key = `${prefix}rl:short`;
  expect((await counter.hit(key)).count).toBe(1);
  const ttl = await redis.pttl(key);
  withContext(`pttl ${ttl}`, () => expect(ttl > 0 && ttl <= 2000).toBeTruthy());
  await new Promise((resolve) => setTimeout(resolve, 2100));
  expect((await counter.hit(key)).count).toBe(1);
});

test('When Redis fails, then every waiting hit is rejected (the limiter then counts in memory)', async () => {
  const broken = createCacheRedis('redis://127.0.0.1:1', { retryStrategy: () => null });
  broken.on('error', () => undefined);
  const counter = new RedisWindowCounter(broken, versionKey, 60_000);
  const results = await Promise.allSettled([counter.hit('x'), counter.hit('y'), counter.hit('x')]);
  expect(results.map((result) => result.status)).toStrictEqual(['rejected', 'rejected', 'rejected']);
  broken.disconnect();
});

test('When a key is busy, then its counts are leased ahead and most hits take no round trip, each number once', async () => {
  const counter = newCounter();
  const key = `${prefix}rl:leased`;
  const counts: number[] = [];
  const calls = await incrementsOf(key, async () => {
    for (let index = 0; index < 100; index += 1) counts.push((await counter.hit(key, 1, 16)).count);
  });
  // Each number once, in order (a hit that found the lease empty while its renewal was out may skip ahead).
  expect(new Set(counts).size).toBe(100);
  expect(counts.every((count, index) => index === 0 || count > counts[index - 1]!)).toBe(true);
  // Leases of 1, 2, 4, 8, then 16 at most, renewed at half: 100 hits in a dozen calls instead of 100.
  expect(calls).toBeLessThanOrEqual(14);
  const total = Number(await redis.get(key));
  expect(total).toBeGreaterThanOrEqual(counts.at(-1)!);
  expect(total).toBeLessThanOrEqual(counts.at(-1)! + 2 * 16);
});

test('When two replicas lease from one budget, then no number is handed out twice and the window never admits more than its limit', async () => {
  const replicas = [newCounter(), newCounter()];
  const key = `${prefix}rl:leased-shared`;
  const limit = 50;
  const counts: number[] = [];
  for (let index = 0; index < 80; index += 1) counts.push((await replicas[index % 2]!.hit(key, 1, 4)).count);
  expect(new Set(counts).size).toBe(counts.length); // every count is unique across replicas
  const admitted = counts.filter((count) => count <= limit).length;
  expect(admitted).toBeLessThanOrEqual(limit);
  // What a lease costs: counts held by the other replica, at most its lease, are refused early.
  expect(admitted).toBeGreaterThanOrEqual(limit - 4);
});

test('When a hit costs more than the lease holds, then the lease is spent on it first and the call asks for the rest', async () => {
  const counter = newCounter();
  const key = `${prefix}rl:leased-cost`;
  expect((await counter.hit(key, 1, 8)).count).toBe(1); // leases 1 ahead (count 2)
  const priced = await counter.hit(key, 4, 8); // takes 2, then 3..5 from a new call
  expect(priced.count).toBe(5);
  expect(counter.take(key)?.count).toBe(6); // the new call's lease follows
});
