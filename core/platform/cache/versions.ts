import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * The cache's versions and keys, known to the HTTP edge without knowing any feature. Cached answers are
 * stored under version tokens:
 * - the data version (`cache:data:version`): the shared data every answer reads (a feature that writes
 *   it, the market sync say, bumps it);
 * - a resource version (`cache:resource:<resource>:version`): one owned resource (a portfolio), bumped
 *   by its writes, so every cached answer about it, for every principal who read it, retires at once.
 * Entries live under `cache:public:…` (shared by everyone) and `cache:private:<principal>:…`.
 *
 * A token is never reused: the cache store may evict a version key (allkeys-lru), and a counter that
 * restarted from nothing would give old entries their version back. A bump writes a fresh token; a
 * reader that finds no token seeds one (`SET NX`), which no stored entry carries.
 */
export const dataVersionKey = (prefix: string) => `${prefix}cache:data:version`;

export const resourceVersionKey = (prefix: string, resource: string) =>
  `${prefix}cache:resource:${resource}:version`;

/** Where cached entries live: public ones under `cache:public:`, private ones under `cache:private:<principal>:`. */
export const cacheEntryKey = (prefix: string, key: string, principal?: string) =>
  principal ? `${prefix}cache:private:${principal}:${key}` : `${prefix}cache:public:${key}`;

export const freshVersion = (): string =>
  `${Date.now().toString(36)}-${randomBytes(6).toString('base64url')}`;

/**
 * Retires every answer stored under `key`'s current version. The new token is also published on a
 * channel named like the key, so API processes that keep the data version in memory (the HTTP edge's
 * DataVersionWatch) learn of it at once instead of asking Redis on every request.
 */
export async function bumpVersion(redis: Redis, key: string): Promise<string> {
  const version = freshVersion();
  const replies = await redis.multi().set(key, version).publish(key, version).exec();
  const failed = replies?.find(([error]) => error)?.[0];
  if (failed) throw failed;
  return version;
}

/** The version in `key`, seeding a fresh one when there is none (never there, or evicted). */
export async function readVersion(redis: Redis, key: string): Promise<string> {
  const found = await redis.get(key);
  if (found !== null) return found;
  await redis.set(key, freshVersion(), 'NX');
  return (await redis.get(key)) ?? freshVersion();
}

/** Retires every cached answer (the shared data changed). */
export const bumpDataVersion = (redis: Redis, prefix: string): Promise<string> =>
  bumpVersion(redis, dataVersionKey(prefix));

/** The current data version (answers computed from the shared data are current under it). */
export const readDataVersion = (redis: Redis, prefix: string): Promise<string> =>
  readVersion(redis, dataVersionKey(prefix));

/** Retires every cached answer about one owned resource. */
export async function bumpResourceVersion(redis: Redis, prefix: string, resource: string): Promise<void> {
  await bumpVersion(redis, resourceVersionKey(prefix, resource));
}
