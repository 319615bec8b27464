import type { Redis } from 'ioredis';
import { bumpVersion } from './cache-version.ts';

/**
 * The cache version of one owned resource (a portfolio, say): private answers about it are stored under
 * the market version and this one, so a write to the resource (a bump) retires every cached answer
 * about it, for every principal who read it, at once.
 */
export const resourceCacheVersionKey = (prefix: string, resource: string) =>
  `${prefix}cache:resource:${resource}:version`;

export async function invalidateResourceCache(redis: Redis, prefix: string, resource: string): Promise<void> {
  await bumpVersion(redis, resourceCacheVersionKey(prefix, resource));
}
