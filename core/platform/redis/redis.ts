import { Redis, type RedisOptions } from 'ioredis';

/**
 * Connection for the cache and the rate limiter: fails fast when Redis is away (no offline queue,
 * one retry) so that a read falls through to PostgreSQL instead of waiting on Redis.
 */
export function createCacheRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 500,
    connectTimeout: 2000,
    lazyConnect: false,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    // Commands issued in the same tick by concurrent requests share one write and one round trip.
    enableAutoPipelining: true,
    ...options,
  });
}

/** Connection for BullMQ: it blocks on Redis and must retry forever (maxRetriesPerRequest: null). */
export function createQueueRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: false, ...options });
}
