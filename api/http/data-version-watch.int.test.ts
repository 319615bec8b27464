import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { Redis } from 'ioredis';
import { bumpDataVersion, dataVersionKey } from '../../core/platform/cache/versions.ts';
import { createCacheRedis } from '../../core/platform/redis/redis.ts';
import { testConfig } from '../../test/config.ts';
import { DataVersionWatch } from './data-version-watch.ts';

const config = testConfig({ REDIS_KEY_PREFIX: `watch-${process.pid}:` });
const key = dataVersionKey(config.REDIS_KEY_PREFIX);
let redis: Redis;

beforeAll(async () => {
  redis = createCacheRedis(config.CACHE_REDIS);
  await new Promise((resolve) => redis.once('ready', resolve));
});
afterAll(async () => {
  await redis.del(key);
  await redis.quit();
});

/** Polls `read` every 20 ms until it returns `wanted` (at most `ms`); returns the last value. */
async function until<T>(read: () => T, wanted: (value: T) => boolean, ms = 3000): Promise<T> {
  const deadline = Date.now() + ms;
  let value = read();
  while (!wanted(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    value = read();
  }
  return value;
}

test('When the data version is bumped, then the watch knows the new one without being asked, and a deleted key is noticed', async () => {
  const watch = new DataVersionWatch(redis, key);
  try {
    const first = await until(
      () => watch.current(),
      (value) => value !== undefined,
    );
    expect(first).toBe(await redis.get(key));
    const announcements = watch.epoch;
    const bumped = await bumpDataVersion(redis, config.REDIS_KEY_PREFIX);
    // Announced over pub/sub (epoch counts only messages): the periodic read may learn the new version
    // first, so the version alone would not tell which one did.
    expect(
      await until(
        () => watch.epoch,
        (epoch) => epoch === announcements + 1,
      ),
    ).toBe(announcements + 1);
    expect(watch.current()).toBe(bumped);
    // Evicted (allkeys-lru) without an announcement: the periodic read seeds and learns a fresh one.
    await redis.del(key);
    const reseeded = await until(
      () => watch.current(),
      (value) => value !== bumped,
    );
    expect(reseeded).not.toBe(bumped);
    expect(reseeded).toBe(await redis.get(key));
  } finally {
    watch.close();
  }
  expect(watch.current()).toBeUndefined();
});

test('When a read started before an announcement answers after it, then its older value is not taken', async () => {
  const watch = new DataVersionWatch(redis, key);
  try {
    await until(
      () => watch.current(),
      (value) => value !== undefined,
    );
    const epoch = watch.epoch;
    const bumped = await bumpDataVersion(redis, config.REDIS_KEY_PREFIX);
    // The announcement itself, not the periodic read that may learn the version first.
    expect(
      await until(
        () => watch.epoch,
        (value) => value === epoch + 1,
      ),
    ).toBe(epoch + 1);
    expect(watch.current()).toBe(bumped);
    watch.observe('an-older-version', epoch);
    expect(watch.current()).toBe(bumped);
  } finally {
    watch.close();
  }
});

test('When Redis cannot be reached, then the watch vouches for nothing (callers ask Redis and fall back)', async () => {
  const broken = createCacheRedis('redis://127.0.0.1:1', { retryStrategy: () => null });
  broken.on('error', () => undefined);
  const watch = new DataVersionWatch(broken, key);
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(watch.current()).toBeUndefined();
  watch.close();
  broken.disconnect();
});
