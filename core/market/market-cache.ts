import type { Redis } from 'ioredis';

/**
 * Cached API responses are keyed by a version number; bumping it invalidates every cached market-data
 * response at once (old entries simply expire by their TTL). The sync job calls this after each commit.
 */
export const marketCacheVersionKey = (prefix: string) => `${prefix}cache:market:version`;

export async function invalidateMarketCache(redis: Redis, prefix: string): Promise<number> {
  return redis.incr(marketCacheVersionKey(prefix));
}
