import type { Redis } from 'ioredis';
import { bumpDataVersion } from '../platform/cache/versions.ts';

/**
 * Market data is the shared data every cached answer reads: a commit of new market data (a sync, a
 * seed) bumps the cache's data version, which retires every cached answer at once (old entries simply
 * expire by their TTL).
 */
export const invalidateMarketCache = (redis: Redis, prefix: string): Promise<string> =>
  bumpDataVersion(redis, prefix);
