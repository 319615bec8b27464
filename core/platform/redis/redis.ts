import { Redis, type RedisOptions } from 'ioredis';

/** A Redis URL, or Sentinels and the master name they monitor (config.REDIS). */
export type TRedisTarget =
  | string
  | {
      sentinels: { host: string; port: number }[];
      name: string;
      password?: string;
      sentinelPassword?: string;
    };

const connect = (target: TRedisTarget, options: RedisOptions) =>
  typeof target === 'string' ? new Redis(target, options) : new Redis({ ...target, ...options });

/**
 * Connection for the cache and the rate limiter: fails fast when Redis is away (no offline queue,
 * one retry) so that a read falls through to PostgreSQL instead of waiting on Redis.
 */
export function createCacheRedis(target: TRedisTarget, options: RedisOptions = {}): Redis {
  return connect(target, {
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
export function createQueueRedis(target: TRedisTarget, options: RedisOptions = {}): Redis {
  return connect(target, { maxRetriesPerRequest: null, enableReadyCheck: false, ...options });
}
