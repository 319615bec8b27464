import type { Redis } from 'ioredis';
import { bumpVersion, readVersion } from '../platform/redis/cache-version.ts';

/**
 * Cached API responses are keyed by a version token; a bump invalidates every cached market-data
 * response at once (old entries simply expire by their TTL). The sync job calls this after each commit.
 */
export const marketCacheVersionKey = (prefix: string) => `${prefix}cache:market:version`;

export async function invalidateMarketCache(redis: Redis, prefix: string): Promise<string> {
  return bumpVersion(redis, marketCacheVersionKey(prefix));
}

/** The current market-data version (stored prices change with it). */
export const marketCacheVersion = (redis: Redis, prefix: string): Promise<string> =>
  readVersion(redis, marketCacheVersionKey(prefix));
