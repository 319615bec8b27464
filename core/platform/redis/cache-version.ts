import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Cached answers are stored under version tokens (the market data's, an owned resource's). A token is
 * never reused: the cache store may evict a version key (allkeys-lru), and a counter that restarted from
 * nothing would give old entries their version back. A bump writes a fresh token; a reader that finds no
 * token seeds one (`SET NX`), which no stored entry carries.
 */
export const freshVersion = (): string =>
  `${Date.now().toString(36)}-${randomBytes(6).toString('base64url')}`;

/** Retires every answer stored under `key`'s current version. */
export async function bumpVersion(redis: Redis, key: string): Promise<string> {
  const version = freshVersion();
  await redis.set(key, version);
  return version;
}

/** The version in `key`, seeding a fresh one when there is none (never there, or evicted). */
export async function readVersion(redis: Redis, key: string): Promise<string> {
  const found = await redis.get(key);
  if (found !== null) return found;
  await redis.set(key, freshVersion(), 'NX');
  return (await redis.get(key)) ?? freshVersion();
}
