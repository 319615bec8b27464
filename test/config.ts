import { randomUUID } from 'node:crypto';
import { loadConfig, type TConfig } from '../core/platform/config/env.ts';

/** Test configuration: the trading_test database and quiet logs; each caller gets its own key prefix. */
export function testConfig(overrides: Record<string, string> = {}): TConfig {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: process.env.TEST_DATABASE_URL ?? 'postgres://trading:trading@127.0.0.1:5432/trading_test',
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
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
