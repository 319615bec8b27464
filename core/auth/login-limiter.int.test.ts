import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Redis } from 'ioredis';
import { testConfig } from '../../test/config.ts';
import { createCacheRedis } from '../platform/redis/redis.ts';
import { createLoginLimiter, type TLoginLimits } from './login-limiter.ts';

const LIMITS: TLoginLimits = { perAccountClient: 3, perAccount: 6, perIp: 5, windowSeconds: 60 };
const config = testConfig();
const live = createCacheRedis(config.REDIS_URL, { disconnectTimeout: 50 });
// Nothing listens on port 1: every command fails at once, as while Redis is away.
const away = createCacheRedis('redis://127.0.0.1:1', { retryStrategy: () => null, disconnectTimeout: 50 });
away.on('error', () => undefined);
// The cache connection sends nothing before it is ready: the Redis cases must not start in the fallback.
beforeAll(async () => {
  if (live.status !== 'ready') await new Promise((resolve) => live.once('ready', resolve));
});
afterAll(() => {
  live.disconnect();
  away.disconnect();
});

const settle = async (attempt: Promise<unknown>) =>
  attempt.then(
    () => 'checked',
    (error: { code?: string; extensions?: { retry_after?: number } }) => {
      if (error.code !== 'rate_limited') throw error;
      expect(error.extensions?.retry_after).toBeGreaterThan(0);
      return 'limited';
    },
  );

describe.each([
  ['in Redis', live],
  ['in process memory while Redis is away', away],
] as [string, Redis][])('The login limiter %s', (_where, redis) => {
  const limiter = () =>
    createLoginLimiter({ redis, keyPrefix: `${config.REDIS_KEY_PREFIX}${randomUUID()}:`, limits: LIMITS });
  const email = () => `someone-${randomUUID().slice(0, 8)}@example.com`;

  test('When 20 checks of one account from one client start at once, then exactly 3 are let through', async () => {
    if (redis === live) expect(live.status).toBe('ready');
    const subject = limiter();
    const account = email();
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => settle(subject.attempt(account, '10.0.0.1'))),
    );
    expect(outcomes.filter((outcome) => outcome === 'checked')).toHaveLength(3);
  });

  test('When one client used up its checks on an account, then another client still gets its own', async () => {
    const subject = limiter();
    const account = email();
    for (let index = 0; index < 3; index++) await subject.attempt(account, '10.0.0.1');
    expect(await settle(subject.attempt(account, '10.0.0.1'))).toBe('limited');
    expect(await settle(subject.attempt(account, '10.0.0.2'))).toBe('checked');
  });

  test('When the account ceiling is reached from many clients, then only clients that succeeded before are let through', async () => {
    const subject = limiter();
    const account = email();
    await (await subject.attempt(account, '10.0.1.1')).succeeded();
    for (const client of ['10.0.2.1', '10.0.2.2'])
      for (let index = 0; index < 3; index++) await subject.attempt(account, client);
    expect(await settle(subject.attempt(account, '10.0.2.3'))).toBe('limited');
    expect(await settle(subject.attempt(account, '10.0.1.1'))).toBe('checked');
  });

  test('When a check succeeds or is abandoned, then it is not counted as a failure', async () => {
    const subject = limiter();
    const account = email();
    for (let round = 0; round < 5; round++) await (await subject.attempt(account, '10.0.3.1')).succeeded();
    for (let round = 0; round < 5; round++) await (await subject.attempt(account, '10.0.3.2')).abandoned();
    expect(await settle(subject.attempt(account, '10.0.3.1'))).toBe('checked');
    expect(await settle(subject.attempt(account, '10.0.3.2'))).toBe('checked');
  });

  test('When one client fails on many accounts, then it is held back on every account', async () => {
    const subject = limiter();
    for (let index = 0; index < 5; index++) await subject.attempt(email(), '10.0.4.1');
    expect(await settle(subject.attempt(email(), '10.0.4.1'))).toBe('limited');
  });
});
