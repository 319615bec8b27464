import { randomUUID } from 'node:crypto';
import { loadConfig, type TConfig } from '../core/platform/config/env.ts';

/**
 * Test configuration: the trading_test database, the queue and cache Redis stores, quiet logs; each
 * caller gets its own key prefix. A test that moves the queue store (REDIS_URL, Sentinels) also says
 * where the cache store is (CACHE_REDIS_URL: the same Redis, say), or it stays on the shared one.
 */
export function testConfig(overrides: Record<string, string> = {}): TConfig {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: process.env.TEST_DATABASE_URL ?? 'postgres://trading:trading@127.0.0.1:5432/trading_test',
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    // The cache store scripts/services.sh runs beside the queue store (maxmemory, allkeys-lru).
    CACHE_REDIS_URL: process.env.TEST_CACHE_REDIS_URL ?? 'redis://127.0.0.1:6380',
    REDIS_KEY_PREFIX: `test:${randomUUID().slice(0, 8)}:`,
    QUEUE_PREFIX: `testq-${randomUUID().slice(0, 8)}`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: '0',
    HOST: '127.0.0.1',
    // Tests log in often from one address; the tests of that budget set their own.
    AUTH_RATE_LIMIT_PER_MINUTE: '1000',
    ...overrides,
  });
}
