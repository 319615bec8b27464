import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Redis } from 'ioredis';
import { createCacheRedis } from '../../core/cache/redis.ts';
import { RedisWindowCounter, type TWindowHit } from '../http/redis-window-counter.ts';
import { testConfig } from '../../test/config.ts';

const config = testConfig();
const prefix = config.REDIS_KEY_PREFIX;
const versionKey = `${prefix}cache:market:version`;
let redis: Redis;

before(async () => {
  redis = createCacheRedis(config.REDIS_URL);
  await new Promise((resolve) => redis.once('ready', resolve));
});
after(async () => {
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
  assert.deepEqual(
    hits.map((hit) => hit.count).sort((a, b) => a - b),
    Array.from({ length: 50 }, (_, index) => index + 1),
  );
  assert.equal(calls, 1, 'one INCRBY for the whole batch');
  assert.equal(await redis.get(key), '50');
  for (const hit of hits) assert.ok(hit.ttlMs > 0 && hit.ttlMs <= 60_000, `ttl ${hit.ttlMs}`);
});

test('When several keys are hit in one batch, then each keeps its own exact count and the version rides along', async () => {
  const counter = newCounter();
  await redis.set(versionKey, '7');
  const [a1, b1, a2, c1, a3] = await Promise.all(
    ['a', 'b', 'a', 'c', 'a'].map((name) => counter.hit(`${prefix}rl:${name}`)),
  );
  assert.deepEqual(
    [a1!.count, a2!.count, a3!.count].sort((x, y) => x - y),
    [1, 2, 3],
  );
  assert.equal(b1!.count, 1);
  assert.equal(c1!.count, 1);
  for (const hit of [a1, b1, a2, c1, a3]) assert.equal(hit!.version, '7');
  await redis.del(versionKey);
  assert.equal((await counter.hit(`${prefix}rl:b`)).version, '0');
});

test('When a batch holds more keys than one script call takes, then every key is still counted once', async () => {
  const counter = newCounter();
  const keys = Array.from({ length: 600 }, (_, index) => `${prefix}rl:many:${index}`);
  const hits = await Promise.all(keys.map((key) => counter.hit(key)));
  assert.ok(hits.every((hit) => hit.count === 1));
  assert.deepEqual(await redis.mget(keys[0]!, keys[299]!, keys[599]!), ['1', '1', '1']);
});

test('When two counters (two replicas) share a key, then they share one budget', async () => {
  const replicaA = newCounter();
  const replicaB = newCounter();
  const key = `${prefix}rl:shared`;
  const counts: number[] = [];
  for (const counter of [replicaA, replicaB, replicaA, replicaB]) counts.push((await counter.hit(key)).count);
  assert.deepEqual(counts, [1, 2, 3, 4]);
});

test('When a window is created, then it expires after the window length', async () => {
  const counter = newCounter(300);
  const key = `${prefix}rl:short`;
  assert.equal((await counter.hit(key)).count, 1);
  const ttl = await redis.pttl(key);
  assert.ok(ttl > 0 && ttl <= 300, `pttl ${ttl}`);
  await new Promise((resolve) => setTimeout(resolve, 350));
  assert.equal((await counter.hit(key)).count, 1);
});

test('When Redis fails, then every waiting hit is rejected (the limiter then counts in memory)', async () => {
  const broken = createCacheRedis('redis://127.0.0.1:1', { retryStrategy: () => null });
  broken.on('error', () => undefined);
  const counter = new RedisWindowCounter(broken, versionKey, 60_000);
  const results = await Promise.allSettled([counter.hit('x'), counter.hit('y'), counter.hit('x')]);
  assert.deepEqual(
    results.map((result) => result.status),
    ['rejected', 'rejected', 'rejected'],
  );
  broken.disconnect();
});
